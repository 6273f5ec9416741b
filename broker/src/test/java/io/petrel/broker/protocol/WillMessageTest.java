package io.petrel.broker.protocol;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static io.petrel.broker.testing.MqttPackets.PUBLISH;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Will messages: published when a connection ends without DISCONNECT (abrupt close, keepalive
 * timeout, protocol error, takeover) or with MQTT 5.0 DISCONNECT reason 0x04, and not after a normal
 * DISCONNECT. A raw subscriber on the will topic checks each case. Where no will is expected, a
 * marker message published after the close must be the first message it receives.
 */
class WillMessageTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

    @Test
    void willPublishedOnAbruptClose() {
        String willTopic = willTopic("abrupt");
        try (RawMqttClient subscriber = subscriber(willTopic, 1)) {
            RawMqttClient client = RawMqttClient.connect(BROKER.port(),
                    ConnectPacket.mqtt311(BROKER.clientId("abrupt")).will(willTopic, "abrupt-will", 1, false));

            client.close();
            RawPacket will = subscriber.receive(PUBLISH);

            assertEquals(willTopic, will.topic());
            assertEquals("abrupt-will", will.payload(MQTT_3_1_1));
            assertEquals(1, will.qos());
        }
    }

    @Test
    void willPublishedOnKeepaliveTimeout() {
        String willTopic = willTopic("keepalive");
        try (RawMqttClient subscriber = subscriber(willTopic, 0);
             RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("idle"))
                     .keepAliveSeconds(1).will(willTopic, "idle-will", 0, false))) {

            assertEquals(List.of(), client.receiveUntilClosed(Duration.ofSeconds(5)));
            assertEquals("idle-will", subscriber.receive(PUBLISH).payload(MQTT_3_1_1));
        }
    }

    @Test
    void willPublishedOnProtocolError() {
        String willTopic = willTopic("violation");
        try (RawMqttClient subscriber = subscriber(willTopic, 0);
             RawMqttClient client = RawMqttClient.connect(BROKER.port(),
                     ConnectPacket.mqtt311(BROKER.clientId("violator")).will(willTopic, "violation-will", 0, false))) {

            client.send(MqttPackets.publish(MQTT_3_1_1, "not/+/allowed", "x", 0, 0));

            assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
            assertEquals("violation-will", subscriber.receive(PUBLISH).payload(MQTT_3_1_1));
        }
    }

    @Test
    void willPublishedOnTakeover() {
        String willTopic = willTopic("takeover");
        String clientId = BROKER.clientId("takenover");
        try (RawMqttClient subscriber = subscriber(willTopic, 0);
             RawMqttClient first = RawMqttClient.connect(BROKER.port(),
                     ConnectPacket.mqtt311(clientId).will(willTopic, "takeover-will", 0, false));
             RawMqttClient second = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(clientId))) {

            assertEquals(List.of(), first.receiveUntilClosed(CLOSE_TIMEOUT));
            assertEquals("takeover-will", subscriber.receive(PUBLISH).payload(MQTT_3_1_1));
        }
    }

    @Test
    void willNotPublishedAfterDisconnect() {
        String willTopic = willTopic("clean");
        try (RawMqttClient subscriber = subscriber(willTopic, 0);
             RawMqttClient client = RawMqttClient.connect(BROKER.port(),
                     ConnectPacket.mqtt311(BROKER.clientId("polite")).will(willTopic, "unexpected-will", 0, false));
             RawMqttClient marker = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("marker")))) {

            client.send(MqttPackets.disconnect());
            assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
            marker.send(MqttPackets.publish(MQTT_3_1_1, willTopic, "marker", 0, 0));

            assertEquals("marker", subscriber.receive(PUBLISH).payload(MQTT_3_1_1));
        }
    }

    /**
     * Reconnects with the same client identifier as soon as the broker has closed the connection, a
     * few times over, because a reconnect can reach the broker before it has detached the closed
     * connection from its session. The discarded will must stay discarded on that path too.
     */
    @Test
    void willNotPublishedOnReconnectAfterDisconnect() {
        String willTopic = willTopic("reconnect");
        String clientId = BROKER.clientId("reconnect");
        ConnectPacket withWill = ConnectPacket.mqtt311(clientId).will(willTopic, "unexpected-will", 0, false);
        try (RawMqttClient subscriber = subscriber(willTopic, 0);
             RawMqttClient marker = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("marker")))) {
            for (int attempt = 0; attempt < 5; attempt++) {
                RawMqttClient client = RawMqttClient.connect(BROKER.port(), withWill);
                client.send(MqttPackets.disconnect());
                assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
                client.close();
            }
            try (RawMqttClient last = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(clientId))) {
                marker.send(MqttPackets.publish(MQTT_3_1_1, willTopic, "marker", 0, 0));

                assertEquals("marker", subscriber.receive(PUBLISH).payload(MQTT_3_1_1));
            }
        }
    }

    @Test
    void normalDisconnectIn5SkipsWill() {
        String willTopic = willTopic("clean5");
        try (RawMqttClient subscriber = subscriber(willTopic, 0);
             RawMqttClient client = RawMqttClient.connect(BROKER.port(),
                     ConnectPacket.mqtt5(BROKER.clientId("polite5")).will(willTopic, "unexpected-will", 0, false));
             RawMqttClient marker = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("marker5")))) {

            client.send(MqttPackets.disconnect5(0x00));
            assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
            marker.send(MqttPackets.publish(MQTT_3_1_1, willTopic, "marker", 0, 0));

            assertEquals("marker", subscriber.receive(PUBLISH).payload(MQTT_3_1_1));
        }
    }

    @Test
    void disconnectWithReason04PublishesWill() {
        String willTopic = willTopic("reason04");
        try (RawMqttClient subscriber = subscriber(willTopic, 0);
             RawMqttClient client = RawMqttClient.connect(BROKER.port(),
                     ConnectPacket.mqtt5(BROKER.clientId("reason04")).will(willTopic, "requested-will", 0, false))) {

            client.send(MqttPackets.disconnect5(0x04));

            assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
            assertEquals("requested-will", subscriber.receive(PUBLISH).payload(MQTT_3_1_1));
        }
    }

    @Test
    void hiveMqDisconnectWithWillPublishesWill() {
        String willTopic = willTopic("hivemq");
        try (RawMqttClient subscriber = subscriber(willTopic, 0)) {
            Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId("hivewill"))
                    .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
            client.connectWith()
                    .willPublish().topic(willTopic).qos(MqttQos.AT_MOST_ONCE)
                    .payload("hivemq-will".getBytes(StandardCharsets.UTF_8)).applyWillPublish()
                    .send();

            client.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();

            assertEquals("hivemq-will", subscriber.receive(PUBLISH).payload(MQTT_3_1_1));
        }
    }

    private static String willTopic(String name) {
        return "will/" + BROKER.clientId(name);
    }

    private static RawMqttClient subscriber(String topic, int qos) {
        RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("willsub")));
        assertEquals(List.of(qos), client.subscribe(MQTT_3_1_1, qos, topic).subackCodes(MQTT_3_1_1));
        return client;
    }
}
