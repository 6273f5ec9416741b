package io.petrel.broker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.TestClients;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The MQTT 5.0 Maximum Packet Size in both directions. The size of a packet is all of its bytes,
 * fixed header included: the broker rejects larger inbound packets from the fixed header alone, and
 * never sends a client a packet larger than the client announced in CONNECT.
 */
class MaximumPacketSizeTest {

    private static final int BROKER_MAXIMUM = 512;
    private static final String TOO_LARGE = "too_large_for_client";

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config.maxPacketSizeBytes(BROKER_MAXIMUM));

    @Test
    void inboundPacketAtMaximumAccepted() {
        try (RawMqttClient publisher = client("at-max")) {
            byte[] publish = publishOfSize("in/at", BROKER_MAXIMUM, 1);
            publisher.send(publish);

            RawPacket puback = publisher.receive();

            assertEquals(BROKER_MAXIMUM, publish.length);
            assertEquals(MqttPackets.PUBACK, puback.type());
        }
    }

    @Test
    void inboundPacketAboveMaximumDisconnectsWith0x95() {
        try (RawMqttClient publisher = client("above")) {
            byte[] publish = publishOfSize("in/above", BROKER_MAXIMUM + 1, 1);
            publisher.send(publish);

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(publisher);

            assertEquals(BROKER_MAXIMUM + 1, publish.length);
            assertEquals(0x95, disconnect.reasonCode());
        }
    }

    @Test
    void oversizedPacketRejectedBeforeBody() {
        try (RawMqttClient publisher = client("header")) {
            // A PUBLISH that announces 100,000 bytes, of which only the fixed header and topic are sent.
            MqttPackets.Writer start = new MqttPackets.Writer();
            start.u8(MqttPackets.PUBLISH << 4).varInt(100_000).utf8("in/huge");
            publisher.send(start.toBytes());

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(publisher);

            assertEquals(0x95, disconnect.reasonCode());
        }
    }

    @Test
    void oversizedPacketCountedAsViolation() {
        double before = BROKER.violations("packet_too_large");
        try (RawMqttClient publisher = client("counted")) {
            publisher.send(publishOfSize("in/counted", BROKER_MAXIMUM + 100, 0));
            Mqtt5Packets.awaitDisconnect(publisher);
        }

        BrokerExtension.awaitIncrease(() -> BROKER.violations("packet_too_large"), before);
    }

    @Test
    void outboundPacketAtClientMaximumDelivered() {
        String topic = "out/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = subscriber(topic, 100, 0)) {
            BROKER.broker().publish(messageForPacketSize(topic, 100, Qos.AT_MOST_ONCE));

            RawPacket publish = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals(100, Mqtt5Packets.wireSize(publish));
        }
    }

    @Test
    void outboundPacketAboveClientMaximumDropped() {
        String topic = "drop/" + BROKER.clientId("t");
        double before = BROKER.counter("petrel.messages.dropped", TOO_LARGE);
        try (RawMqttClient subscriber = subscriber(topic, 100, 0)) {
            BROKER.broker().publish(messageForPacketSize(topic, 101, Qos.AT_MOST_ONCE));
            BROKER.broker().publish(Message.builder(topic).payload("small").build());

            RawPacket publish = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals("small", publish.payload(MqttPackets.MQTT_5), "the message one byte too large was sent");
            BrokerExtension.awaitIncrease(() -> BROKER.counter("petrel.messages.dropped", TOO_LARGE), before);
        }
    }

    @Test
    void outboundLimitCountsPacketIdentifier() {
        String topic = "qos/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = subscriber(topic, 100, 1)) {
            // 100 bytes at QoS 0 become 102 at QoS 1, which adds a two-byte packet identifier.
            BROKER.broker().publish(messageForPacketSize(topic, 100, Qos.AT_MOST_ONCE).toBuilder()
                    .qos(Qos.AT_LEAST_ONCE).build());
            BROKER.broker().publish(Message.builder(topic).payload("small").qos(Qos.AT_LEAST_ONCE).build());

            RawPacket publish = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals("small", publish.payload(MqttPackets.MQTT_5));
            assertTrue(Mqtt5Packets.wireSize(publish) <= 100, "PUBLISH of " + Mqtt5Packets.wireSize(publish) + " bytes");
        }
    }

    @Test
    void outboundLimitCountsProperties() {
        String topic = "props/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = subscriber(topic, 100, 0);
             RawMqttClient publisher = client("props-pub")) {
            // The payload alone fits in 100 bytes; the user property makes the packet larger.
            publisher.send(Mqtt5Packets.publish(topic, "x".repeat(40), 0, 0, false,
                    Mqtt5Properties.create().userProperty("padding", "p".repeat(40))));
            publisher.send(Mqtt5Packets.publish(topic, "small", 0, 0, false, Mqtt5Properties.none()));

            RawPacket publish = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals("small", publish.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void outboundLimitCountsSubscriptionIdentifier() {
        String topic = "sid/" + BROKER.clientId("t");
        RawMqttClient subscriber = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("sid"))
                .properties(Mqtt5Properties.create().maximumPacketSize(100)));
        try (subscriber) {
            // Subscription identifier 200 adds three bytes: the property identifier and a two-byte value.
            Mqtt5Packets.subscribeAndAwait(subscriber, 1, Mqtt5Properties.create().subscriptionIdentifier(200), topic, 0);
            BROKER.broker().publish(messageForPacketSize(topic, 98, Qos.AT_MOST_ONCE));
            BROKER.broker().publish(messageForPacketSize(topic, 97, Qos.AT_MOST_ONCE));

            RawPacket publish = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals(100, Mqtt5Packets.wireSize(publish), "the 101-byte PUBLISH was sent");
        }
    }

    @Test
    void tooLargeMessageDroppedOnlyForThatSubscriber() {
        String topic = "mixed/" + BROKER.clientId("t");
        String large = "L".repeat(300);
        try (RawMqttClient small = subscriber(topic, 100, 1);
             RawMqttClient unlimited = subscriber(topic, 0, 1)) {
            BROKER.broker().publish(Message.builder(topic).payload(large).qos(Qos.AT_LEAST_ONCE).build());
            BROKER.broker().publish(Message.builder(topic).payload("after").qos(Qos.AT_LEAST_ONCE).build());

            RawPacket unlimitedFirst = unlimited.receive(MqttPackets.PUBLISH);
            RawPacket smallFirst = small.receive(MqttPackets.PUBLISH);

            assertEquals(large, unlimitedFirst.payload(MqttPackets.MQTT_5));
            assertEquals("after", smallFirst.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void hiveMqClientStaysConnectedWithSmallMaximum() throws InterruptedException {
        String topic = "hive/" + BROKER.clientId("t");
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId("hive"))
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = client.publishes(MqttGlobalPublishFilter.ALL)) {
            client.connectWith().restrictions().maximumPacketSize(200).applyRestrictions().send();
            client.subscribeWith().topicFilter(topic).send();
            BROKER.broker().publish(Message.builder(topic).payload("B".repeat(400)).build());
            BROKER.broker().publish(Message.builder(topic).payload("fits").build());

            Optional<Mqtt5Publish> received = publishes.receive(5, TimeUnit.SECONDS);

            assertTrue(received.isPresent(), "no message within 5 s");
            assertEquals("fits", new String(received.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
            assertTrue(client.getState().isConnected(), "HiveMQ client disconnected");
        } finally {
            TestClients.disconnect(client);
        }
    }

    private static RawMqttClient client(String prefix) {
        return Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId(prefix)));
    }

    /** Connects a subscriber that announces {@code maximumPacketSize}, or none when it is 0. */
    private static RawMqttClient subscriber(String filter, long maximumPacketSize, int qos) {
        Mqtt5Properties properties = maximumPacketSize > 0
                ? Mqtt5Properties.create().maximumPacketSize(maximumPacketSize) : Mqtt5Properties.none();
        RawMqttClient client = Mqtt5Packets.connect(BROKER.port(),
                Mqtt5Packets.connect(BROKER.clientId("sub")).properties(properties));
        Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), filter, qos);
        return client;
    }

    /** Encodes a PUBLISH without properties whose whole packet is exactly {@code size} bytes. */
    private static byte[] publishOfSize(String topic, int size, int qos) {
        byte[] packet = Mqtt5Packets.publish(topic, "p".repeat(payloadForPacketSize(topic, size, qos)), qos, 1, false,
                Mqtt5Properties.none());
        assertEquals(size, packet.length, "test packet size");
        return packet;
    }

    /** Returns a message whose MQTT 5.0 PUBLISH without extra properties is exactly {@code size} bytes. */
    private static Message messageForPacketSize(String topic, int size, Qos qos) {
        return Message.builder(topic).payload("q".repeat(payloadForPacketSize(topic, size, qos.value()))).qos(qos)
                .build();
    }

    /** Returns the payload length that makes a PUBLISH without properties exactly {@code size} bytes long. */
    private static int payloadForPacketSize(String topic, int size, int qos) {
        for (int payload = size; payload >= 0; payload--) {
            if (Mqtt5Packets.publish(topic, "p".repeat(payload), qos, 1, false, Mqtt5Properties.none()).length == size) {
                return payload;
            }
        }
        throw new AssertionError("no PUBLISH on '" + topic + "' is exactly " + size + " bytes");
    }
}
