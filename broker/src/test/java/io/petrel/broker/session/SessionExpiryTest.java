package io.petrel.broker.session;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static io.petrel.broker.testing.MqttPackets.MQTT_5;
import static io.petrel.broker.testing.MqttPackets.PUBLISH;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * MQTT 5.0 session expiry: interval 0 ends the session with the connection, a longer interval
 * keeps it for a reconnect within that time, and the session is gone after the interval.
 */
class SessionExpiryTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    private static final long EXPIRY_SECONDS = 2;

    @Test
    void zeroExpiryEndsSessionAtDisconnect() {
        String clientId = BROKER.clientId("zero");
        ConnectPacket connect = ConnectPacket.mqtt5(clientId).cleanSession(false).sessionExpirySeconds(0);
        try (RawMqttClient first = RawMqttClient.connect(BROKER.port(), connect)) {
            first.subscribe(MQTT_5, 1, "expiry/" + clientId);
            disconnect(first);
        }

        try (RawMqttClient second = RawMqttClient.connect(BROKER.port(), connect)) {
            assertFalse(second.connack().sessionPresent(), "session present after expiry interval 0");
        }
    }

    @Test
    void sessionResumedWithinExpiry() {
        String clientId = BROKER.clientId("resumed");
        String topic = "expiry/" + clientId;
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(clientId)
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
        client.connectWith().cleanStart(false).sessionExpiryInterval(EXPIRY_SECONDS).send();
        client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
        client.disconnect();

        try (RawMqttClient publisher = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("pub")))) {
            publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "kept while away", 1, 1));
            assertEquals(MqttPackets.PUBACK, publisher.receive().type());
        }
        try (RawMqttClient resumed = RawMqttClient.connect(BROKER.port(),
                ConnectPacket.mqtt5(clientId).cleanSession(false).sessionExpirySeconds(0))) {

            assertTrue(resumed.connack().sessionPresent(), "session present within the expiry interval");
            assertEquals("kept while away", resumed.receive(PUBLISH).payload(MQTT_5));
        }
    }

    @Test
    void sessionGoneAfterExpiry() {
        String clientId = BROKER.clientId("expired");
        ConnectPacket connect = ConnectPacket.mqtt5(clientId).cleanSession(false).sessionExpirySeconds(EXPIRY_SECONDS);
        try (RawMqttClient first = RawMqttClient.connect(BROKER.port(), connect)) {
            first.subscribe(MQTT_5, 1, "expiry/" + clientId);
            disconnect(first);
        }

        // A reconnect renews a session that still exists, so each probe waits longer than the interval
        // after the previous disconnect. A broker that expires sessions therefore passes the first probe.
        Duration probeInterval = Duration.ofMillis(EXPIRY_SECONDS * 1000 + 500);
        await().pollDelay(probeInterval)
                .pollInterval(probeInterval)
                .atMost(Duration.ofSeconds(9))
                .until(() -> !reconnectFindsSession(connect));
    }

    private static boolean reconnectFindsSession(ConnectPacket connect) {
        try (RawMqttClient probe = RawMqttClient.connect(BROKER.port(), connect)) {
            boolean present = probe.connack().sessionPresent();
            disconnect(probe);
            return present;
        }
    }

    private static void disconnect(RawMqttClient client) {
        client.send(MqttPackets.disconnect());
        assertEquals(List.of(), client.receiveUntilClosed(Duration.ofSeconds(3)));
    }
}
