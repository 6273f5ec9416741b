package io.petrel.broker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.PahoRecorder;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.ReceivedProperties;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The reason codes of the DISCONNECT packets the broker sends to MQTT 5.0 clients before it closes
 * their connection, one test per cause.
 */
class ServerDisconnectReasonTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config
            .receiveMaximum(2)
            .topicAliasMaximum(2)
            .maxPacketSizeBytes(256));

    @Test
    void takeoverDisconnectsWith0x8E() {
        String clientId = BROKER.clientId("takeover");
        try (RawMqttClient first = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId));
             RawMqttClient second = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId))) {
            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(first);

            assertEquals(0x8E, disconnect.reasonCode());
            assertTrue(second.ping(), "the new connection is served");
        }
    }

    @Test
    void keepAliveTimeoutDisconnectsWith0x8D() {
        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(),
                Mqtt5Packets.connect(BROKER.clientId("keepalive")).keepAliveSeconds(1))) {
            long start = System.nanoTime();

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(0x8D, disconnect.reasonCode());
            assertTrue(elapsedMillis >= 1_000, "closed after " + elapsedMillis + " ms, before the keepalive ran out");
        }
    }

    @Test
    void packetTooLargeDisconnectsWith0x95() {
        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("large")))) {
            client.send(Mqtt5Packets.publish("large", "x".repeat(300), 0, 0, false, Mqtt5Properties.none()));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x95, disconnect.reasonCode());
        }
    }

    @Test
    void shutdownDisconnectsWith0x8B() {
        PetrelBroker broker = BrokerExtension.startBroker(BrokerExtension.testConfig().build(), new SimpleMeterRegistry());
        try (RawMqttClient client = Mqtt5Packets.connect(broker.port(), Mqtt5Packets.connect("shutdown"))) {
            broker.close();

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x8B, disconnect.reasonCode());
        } finally {
            broker.close();
        }
    }

    @Test
    void secondConnectDisconnectsWith0x82() {
        String clientId = BROKER.clientId("twice");
        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId))) {
            client.send(Mqtt5Packets.connect(clientId).toBytes());

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x82, disconnect.reasonCode());
        }
    }

    @Test
    @Disabled("netty-codec-mqtt 4.2.18 keeps only the last value of a repeated property, so the broker "
            + "cannot see the repetition")
    void repeatedPropertyDisconnectsWith0x82() {
        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("dup")))) {
            // MQTT 5.0 section 3.3.2.3.3: the Message Expiry Interval may appear at most once.
            client.send(Mqtt5Packets.publish("dup/t", "x", 0, 0, false,
                    Mqtt5Properties.create().messageExpiryInterval(10).messageExpiryInterval(20)));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x82, disconnect.reasonCode());
        }
    }

    @Test
    void malformedPacketDisconnectsWith0x81() {
        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("bad")))) {
            // SUBSCRIBE requires the fixed-header flags 0010; 0000 makes the packet malformed.
            byte[] subscribe = Mqtt5Packets.subscribe(1, Mqtt5Properties.none(), "bad/flags", 0);
            subscribe[0] = (byte) (MqttPackets.SUBSCRIBE << 4);
            client.send(subscribe);

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x81, disconnect.reasonCode());
        }
    }

    @Test
    void topicAliasZeroDisconnectsWith0x94() {
        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("alias")))) {
            client.send(Mqtt5Packets.publish("alias/t", "x", 0, 0, false, Mqtt5Properties.create().topicAlias(0)));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x94, disconnect.reasonCode());
        }
    }

    @Test
    void receiveMaximumExceededDisconnectsWith0x93() {
        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("flood")))) {
            for (int packetId = 1; packetId <= 3; packetId++) {
                client.send(Mqtt5Packets.publish("flood", "x", 2, packetId, false, Mqtt5Properties.none()));
            }

            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));

            RawPacket last = packets.get(packets.size() - 1);
            assertEquals(MqttPackets.DISCONNECT, last.type(), "last packet of " + packets);
            assertEquals(0x93, last.reasonCode());
        }
    }

    @Test
    void disconnectCarriesReasonString() {
        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("why")))) {
            client.send(Mqtt5Packets.publish("why", "x", 0, 0, false, Mqtt5Properties.create().topicAlias(0)));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            ReceivedProperties properties = ReceivedProperties.ofDisconnect(disconnect);
            assertTrue(properties.string(Mqtt5Properties.REASON_STRING).contains("alias"), properties.toString());
        }
    }

    @Test
    void hiveMqClientSeesTakeoverReason() throws Exception {
        String clientId = BROKER.clientId("hive-takeover");
        CompletableFuture<Throwable> cause = new CompletableFuture<>();
        Mqtt5BlockingClient first = MqttClient.builder().useMqttVersion5().identifier(clientId)
                .serverHost("127.0.0.1").serverPort(BROKER.port())
                .addDisconnectedListener(context -> cause.complete(context.getCause()))
                .buildBlocking();
        first.connect();
        try (RawMqttClient second = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId))) {
            Throwable reason = cause.get(5, TimeUnit.SECONDS);

            Mqtt5DisconnectException disconnect = assertInstanceOf(Mqtt5DisconnectException.class, reason);
            assertEquals(Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER, disconnect.getMqttMessage().getReasonCode());
        }
    }

    @Test
    void pahoClientSeesShutdownReason() throws Exception {
        PetrelBroker broker = BrokerExtension.startBroker(
                BrokerExtension.testConfig().build(),
                new SimpleMeterRegistry());
        PahoRecorder recorder = new PahoRecorder();
        org.eclipse.paho.mqttv5.client.MqttClient client = new org.eclipse.paho.mqttv5.client.MqttClient(
                "tcp://127.0.0.1:" + broker.port(), "paho-shutdown", new MemoryPersistence());
        try {
            client.setCallback(recorder);
            client.connect(new MqttConnectionOptions());
            broker.close();

            assertEquals(0x8B, recorder.disconnect().get(5, TimeUnit.SECONDS).getReturnCode());
        } finally {
            broker.close();
            client.close(true);
        }
    }
}
