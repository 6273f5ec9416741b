package io.petrel.broker.session;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.ReceivedProperties;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The MQTT 5.0 Will Delay Interval: a will is published when its delay passes or when its session
 * ends, whichever comes first, and not at all when the session reconnects within the delay. A
 * DISCONNECT with reason 0x00 discards the will; reason 0x04 keeps it.
 *
 * <p>Each test watches its own will topic, so a will of another test cannot satisfy it.
 */
class WillDelayTest {

    private static final String WILLS = "petrel.wills.published";

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    @Test
    void willPublishedAfterDelay() {
        String willTopic = "will/delay/" + BROKER.clientId("t");
        try (RawMqttClient watcher = watcher(willTopic)) {
            RawMqttClient client = connectWithWill(BROKER.clientId("delayed"), willTopic, 1, 60);
            client.close();
            long closed = System.nanoTime();

            RawPacket will = watcher.receive(MqttPackets.PUBLISH);

            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closed);
            assertEquals("gone", will.payload(MqttPackets.MQTT_5));
            assertTrue(elapsedMillis >= 900, "will published " + elapsedMillis + " ms after the close");
        }
    }

    @Test
    void willPublishedWhenSessionEndsFirst() {
        String willTopic = "will/session/" + BROKER.clientId("t");
        try (RawMqttClient watcher = watcher(willTopic)) {
            RawMqttClient client = connectWithWill(BROKER.clientId("short-session"), willTopic, 30, 1);
            client.close();
            long closed = System.nanoTime();

            RawPacket will = watcher.receive(MqttPackets.PUBLISH);

            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closed);
            assertEquals("gone", will.payload(MqttPackets.MQTT_5));
            assertTrue(elapsedMillis >= 900, "will published " + elapsedMillis + " ms after the close");
        }
    }

    @Test
    void willPublishedAtOnceWithZeroSessionExpiry() {
        String willTopic = "will/zero/" + BROKER.clientId("t");
        try (RawMqttClient watcher = watcher(willTopic)) {
            RawMqttClient client = connectWithWill(BROKER.clientId("no-session"), willTopic, 30, 0);
            client.close();

            RawPacket will = watcher.receive(MqttPackets.PUBLISH);

            assertEquals("gone", will.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void willWithoutDelayPublishedAtOnce() {
        String willTopic = "will/now/" + BROKER.clientId("t");
        try (RawMqttClient watcher = watcher(willTopic)) {
            RawMqttClient client = connectWithWill(BROKER.clientId("no-delay"), willTopic, 0, 60);
            client.close();

            RawPacket will = watcher.receive(MqttPackets.PUBLISH);

            assertEquals("gone", will.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void reconnectWithinDelayCancelsWill() {
        String clientId = BROKER.clientId("returning");
        String willTopic = "will/cancel/" + clientId;
        try (RawMqttClient watcher = watcher(willTopic)) {
            RawMqttClient first = connectWithWill(clientId, willTopic, 1, 60);
            first.close();
            long closed = System.nanoTime();
            try (RawMqttClient second = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId)
                    .cleanStart(false).properties(Mqtt5Properties.create().sessionExpiryInterval(60)))) {
                awaitElapsed(closed, Duration.ofMillis(1_800));

                assertTrue(watcher.ping(), "the will was published although the session reconnected");
                assertTrue(second.ping());

                // Ending the session now must not publish the cancelled will either.
                second.send(Mqtt5Packets.disconnect(0x00, Mqtt5Properties.create().sessionExpiryInterval(0)));
                second.receiveUntilClosed(Duration.ofSeconds(5));
            }
            // A new connection of the same client is accepted only after the broker handled the old one.
            try (RawMqttClient next = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId))) {
                next.send(MqttPackets.disconnect5(0x00));
            }
            assertTrue(watcher.ping(), "the cancelled will was published when the session ended");
        }
    }

    @Test
    void takeoverWithinDelayCancelsWill() {
        String clientId = BROKER.clientId("taken");
        String willTopic = "will/takeover/" + clientId;
        try (RawMqttClient watcher = watcher(willTopic);
             RawMqttClient first = connectWithWill(clientId, willTopic, 1, 60)) {
            long start = System.nanoTime();
            try (RawMqttClient second = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId)
                    .cleanStart(false).properties(Mqtt5Properties.create().sessionExpiryInterval(60)))) {
                assertEquals(0x8E, Mqtt5Packets.awaitDisconnect(first).reasonCode());
                awaitElapsed(start, Duration.ofMillis(1_800));

                assertTrue(watcher.ping(), "the will of the taken-over connection was published");
            }
        }
    }

    @Test
    void normalDisconnectDiscardsWill() {
        String willTopic = "will/normal/" + BROKER.clientId("t");
        double before = BROKER.counterSum(WILLS);
        String clientId = BROKER.clientId("polite");
        try (RawMqttClient watcher = watcher(willTopic)) {
            try (RawMqttClient client = connectWithWill(clientId, willTopic, 0, 0)) {
                client.send(MqttPackets.disconnect5(0x00));
                client.receiveUntilClosed(Duration.ofSeconds(5));
            }
            // A new connection of the same client is accepted only after the broker handled the old one.
            try (RawMqttClient next = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId))) {
                next.send(MqttPackets.disconnect5(0x00));
            }

            assertTrue(watcher.ping(), "the will was published after DISCONNECT 0x00");
            assertEquals(before, BROKER.counterSum(WILLS));
        }
    }

    @Test
    void disconnectWithWillMessagePublishesWill() {
        String willTopic = "will/0x04/" + BROKER.clientId("t");
        double before = BROKER.counterSum(WILLS);
        try (RawMqttClient watcher = watcher(willTopic)) {
            try (RawMqttClient client = connectWithWill(BROKER.clientId("leaving"), willTopic, 0, 0)) {
                client.send(MqttPackets.disconnect5(0x04));
                client.receiveUntilClosed(Duration.ofSeconds(5));
            }

            RawPacket will = watcher.receive(MqttPackets.PUBLISH);

            assertEquals("gone", will.payload(MqttPackets.MQTT_5));
            BrokerExtension.awaitIncrease(() -> BROKER.counterSum(WILLS), before);
        }
    }

    @Test
    void disconnectWithWillMessageKeepsDelay() {
        String willTopic = "will/0x04-delay/" + BROKER.clientId("t");
        try (RawMqttClient watcher = watcher(willTopic)) {
            long disconnected;
            try (RawMqttClient client = connectWithWill(BROKER.clientId("leaving-late"), willTopic, 1, 60)) {
                client.send(MqttPackets.disconnect5(0x04));
                disconnected = System.nanoTime();
                client.receiveUntilClosed(Duration.ofSeconds(5));
            }

            RawPacket will = watcher.receive(MqttPackets.PUBLISH);

            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - disconnected);
            assertEquals("gone", will.payload(MqttPackets.MQTT_5));
            assertTrue(elapsedMillis >= 900, "will published " + elapsedMillis + " ms after DISCONNECT");
        }
    }

    @Test
    void willKeepsItsProperties() {
        String willTopic = "will/props/" + BROKER.clientId("t");
        try (RawMqttClient watcher = watcher(willTopic)) {
            RawMqttClient client = connectWithWill(BROKER.clientId("props"), willTopic, Mqtt5Properties.create()
                    .contentType("text/plain").userProperty("reason", "crash").responseTopic("status/ack"), 60);
            client.close();

            RawPacket will = watcher.receive(MqttPackets.PUBLISH);

            ReceivedProperties properties = ReceivedProperties.ofPublish(will);
            assertEquals("text/plain", properties.string(Mqtt5Properties.CONTENT_TYPE));
            assertEquals("status/ack", properties.string(Mqtt5Properties.RESPONSE_TOPIC));
            assertEquals(List.of("reason=crash"), properties.userProperties());
        }
    }

    @Test
    void hiveMqWillPublishedAfterDelay() {
        String willTopic = "will/hive/" + BROKER.clientId("t");
        try (RawMqttClient watcher = watcher(willTopic)) {
            Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId("hive"))
                    .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
            client.connectWith().sessionExpiryInterval(60)
                    .willPublish().topic(willTopic).payload("hive gone".getBytes(StandardCharsets.UTF_8))
                    .qos(MqttQos.AT_LEAST_ONCE).delayInterval(1).applyWillPublish()
                    .send();
            client.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();
            long disconnected = System.nanoTime();

            RawPacket will = watcher.receive(MqttPackets.PUBLISH);

            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - disconnected);
            assertEquals("hive gone", will.payload(MqttPackets.MQTT_5));
            assertTrue(elapsedMillis >= 900, "will published " + elapsedMillis + " ms after DISCONNECT");
        }
    }

    /** Connects a client that subscribes to {@code willTopic} at QoS 1. */
    private static RawMqttClient watcher(String willTopic) {
        RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("watcher")));
        Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), willTopic, 1);
        return client;
    }

    private static RawMqttClient connectWithWill(String clientId, String willTopic, long willDelaySeconds,
            long sessionExpirySeconds) {
        return connectWithWill(clientId, willTopic, Mqtt5Properties.create().willDelayInterval(willDelaySeconds),
                sessionExpirySeconds);
    }

    private static RawMqttClient connectWithWill(String clientId, String willTopic, Mqtt5Properties willProperties,
            long sessionExpirySeconds) {
        return Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId)
                .properties(Mqtt5Properties.create().sessionExpiryInterval(sessionExpirySeconds))
                .will(willTopic, "gone", 1, false, willProperties));
    }

    /** Waits until {@code duration} has passed since {@code startNanos}: the delays under test need wall time. */
    private static void awaitElapsed(long startNanos, Duration duration) {
        await().atMost(duration.plusSeconds(2)).until(() -> System.nanoTime() - startNanos >= duration.toNanos());
    }
}
