package io.petrel.broker.session;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static io.petrel.broker.testing.MqttPackets.PUBLISH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Session takeover: a CONNECT with a client identifier that is already connected closes the older
 * connection, and the newer one carries on with the session.
 */
class SessionTakeoverTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

    @Test
    void takeoverClosesOlderConnection() {
        String clientId = BROKER.clientId("taken");
        String topic = "takeover/" + clientId;
        try (RawMqttClient older = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(clientId));
             RawMqttClient newer = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(clientId))) {

            assertEquals(List.of(), older.receiveUntilClosed(CLOSE_TIMEOUT));

            newer.subscribe(MQTT_3_1_1, 0, topic);
            newer.send(MqttPackets.publish(MQTT_3_1_1, topic, "still working", 0, 0));
            assertEquals("still working", newer.receive(PUBLISH).payload(MQTT_3_1_1));
        }
    }

    @Test
    void takeoverIn5SendsDisconnect8E() {
        String clientId = BROKER.clientId("taken5");
        try (RawMqttClient older = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt5(clientId));
             RawMqttClient newer = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt5(clientId))) {

            List<RawPacket> packets = older.receiveUntilClosed(CLOSE_TIMEOUT);

            assertEquals(1, packets.size(), "DISCONNECT, then close: " + packets);
            assertEquals(MqttPackets.DISCONNECT, packets.get(0).type());
            assertEquals(0x8E, packets.get(0).reasonCode(), "session taken over");
            assertTrue(newer.ping(), "the newer connection stays open");
        }
    }

    @Test
    void takeoverContinuesPersistentSession() {
        String clientId = BROKER.clientId("continued");
        String topic = "takeover/" + clientId;
        try (RawMqttClient older = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(clientId).cleanSession(false))) {
            older.subscribe(MQTT_3_1_1, 1, topic);

            try (RawMqttClient newer = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(clientId).cleanSession(false));
                 RawMqttClient publisher = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("pub")))) {
                publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "for the session", 0, 0));

                assertTrue(newer.connack().sessionPresent(), "session present");
                assertEquals("for the session", newer.receive(PUBLISH).payload(MQTT_3_1_1));
                assertEquals(List.of(), older.receiveUntilClosed(CLOSE_TIMEOUT));
            }
        }
    }

    @Test
    void pahoClientLosesConnectionOnTakeover() throws Exception {
        String clientId = BROKER.clientId("paho");
        CompletableFuture<Throwable> lost = new CompletableFuture<>();
        MqttClient older = new MqttClient(BROKER.serverUri(), clientId, new MemoryPersistence());
        older.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                lost.complete(cause);
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
        try {
            older.connect();
            try (RawMqttClient newer = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(clientId))) {
                assertNotNull(lost.get(5, TimeUnit.SECONDS), "connection lost cause");
                assertTrue(newer.ping());
            }
        } finally {
            older.close(true);
        }
    }
}
