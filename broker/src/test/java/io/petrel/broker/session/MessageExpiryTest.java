package io.petrel.broker.session;

import static io.petrel.broker.testing.Mqtt5Properties.MESSAGE_EXPIRY_INTERVAL;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
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
import io.petrel.broker.testing.ReceivedProperties;
import io.petrel.broker.testing.TestClients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The MQTT 5.0 Message Expiry Interval (MQTT 5.0 section 3.3.2.3.3). A message is never delivered
 * after its interval has passed, whether it waits in an offline session's queue or as a retained
 * message, and a subscriber receives the interval that remains.
 */
class MessageExpiryTest {

    private static final String DROPPED = "petrel.messages.dropped";

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    @Test
    void expiredQueuedMessageNotDelivered() {
        String clientId = BROKER.clientId("offline");
        String topic = "msg-expiry/queued/" + clientId;
        double droppedBefore = BROKER.counter(DROPPED, "expired");
        subscribeAndLeave(clientId, topic);
        BROKER.broker().publish(Message.builder(topic).payload("short-lived").qos(Qos.AT_LEAST_ONCE)
                .messageExpiryIntervalSeconds(1).build());
        BROKER.broker().publish(Message.builder(topic).payload("lasting").qos(Qos.AT_LEAST_ONCE).build());
        awaitElapsed(System.nanoTime(), Duration.ofMillis(1_300));

        try (RawMqttClient client = reconnect(clientId)) {
            RawPacket first = client.receive(MqttPackets.PUBLISH);

            assertEquals("lasting", first.payload(MqttPackets.MQTT_5), "the expired message was delivered");
            BrokerExtension.awaitIncrease(() -> BROKER.counter(DROPPED, "expired"), droppedBefore);
        }
    }

    @Test
    void queuedMessageCarriesRemainingInterval() {
        String clientId = BROKER.clientId("remaining");
        String topic = "msg-expiry/remaining/" + clientId;
        subscribeAndLeave(clientId, topic);
        long published = System.nanoTime();
        BROKER.broker().publish(Message.builder(topic).payload("x").qos(Qos.AT_LEAST_ONCE)
                .messageExpiryIntervalSeconds(60).build());
        awaitElapsed(published, Duration.ofMillis(2_100));

        try (RawMqttClient client = reconnect(clientId)) {
            RawPacket delivered = client.receive(MqttPackets.PUBLISH);

            long remaining = ReceivedProperties.ofPublish(delivered).integer(MESSAGE_EXPIRY_INTERVAL);
            assertTrue(remaining <= 58, "remaining interval " + remaining + " s after about 2 s of 60 s");
            assertTrue(remaining >= 50, "remaining interval " + remaining + " s after about 2 s of 60 s");
        }
    }

    @Test
    void liveMessageCarriesInterval() {
        String topic = "msg-expiry/live/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = subscriber(topic);
             RawMqttClient publisher = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("pub")))) {
            publisher.send(Mqtt5Packets.publish(topic, "x", 1, 1, false,
                    Mqtt5Properties.create().messageExpiryInterval(60)));

            RawPacket delivered = subscriber.receive(MqttPackets.PUBLISH);

            long remaining = ReceivedProperties.ofPublish(delivered).integer(MESSAGE_EXPIRY_INTERVAL);
            assertTrue(remaining >= 59, "remaining interval " + remaining);
            assertTrue(remaining <= 60, "remaining interval " + remaining);
        }
    }

    @Test
    void messageWithoutIntervalHasNone() {
        String topic = "msg-expiry/none/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = subscriber(topic)) {
            BROKER.broker().publish(Message.builder(topic).payload("x").build());

            RawPacket delivered = subscriber.receive(MqttPackets.PUBLISH);

            assertFalse(ReceivedProperties.ofPublish(delivered).contains(MESSAGE_EXPIRY_INTERVAL));
        }
    }

    @Test
    void expiredRetainedMessageNotSent() {
        String topic = "msg-expiry/retained/" + BROKER.clientId("t");
        try {
            BROKER.broker().publish(Message.builder(topic).payload("stale").retain(true)
                    .messageExpiryIntervalSeconds(1).build());
            awaitElapsed(System.nanoTime(), Duration.ofMillis(1_200));

            try (RawMqttClient subscriber = subscriber(topic)) {
                assertTrue(subscriber.ping(), "an expired retained message was sent");
            }
        } finally {
            BROKER.broker().publish(Message.builder(topic).retain(true).build());
        }
    }

    @Test
    void expiredRetainedMessageSweptWithoutSubscriber() {
        String topic = "msg-expiry/sweep/" + BROKER.clientId("t");
        long before = BROKER.broker().status().retainedMessages();
        BROKER.broker().publish(Message.builder(topic).payload("stale").retain(true)
                .messageExpiryIntervalSeconds(1).build());
        assertEquals(before + 1, BROKER.broker().status().retainedMessages());

        await().atMost(Duration.ofSeconds(4))
                .until(() -> BROKER.broker().status().retainedMessages() == before);
    }

    @Test
    void retainedMessageCarriesRemainingInterval() {
        String topic = "msg-expiry/retained-remaining/" + BROKER.clientId("t");
        try {
            long published = System.nanoTime();
            BROKER.broker().publish(Message.builder(topic).payload("kept").retain(true)
                    .messageExpiryIntervalSeconds(60).build());
            awaitElapsed(published, Duration.ofMillis(1_100));

            try (RawMqttClient subscriber = subscriber(topic)) {
                RawPacket retained = subscriber.receive(MqttPackets.PUBLISH);

                long remaining = ReceivedProperties.ofPublish(retained).integer(MESSAGE_EXPIRY_INTERVAL);
                assertTrue(retained.retain());
                assertTrue(remaining <= 59, "remaining interval " + remaining + " s after about 1 s of 60 s");
            }
        } finally {
            BROKER.broker().publish(Message.builder(topic).retain(true).build());
        }
    }

    @Test
    void pahoToHiveMqIntervalForwarded() throws Exception {
        String topic = "msg-expiry/clients/" + BROKER.clientId("t");
        Mqtt5BlockingClient subscriber = MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId("hive"))
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
        org.eclipse.paho.mqttv5.client.MqttClient publisher = new org.eclipse.paho.mqttv5.client.MqttClient(
                BROKER.serverUri(), BROKER.clientId("paho"), new MemoryPersistence());
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            subscriber.connect();
            subscriber.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            publisher.connect();
            MqttProperties properties = new MqttProperties();
            properties.setMessageExpiryInterval(120L);
            MqttMessage message = new MqttMessage("x".getBytes(StandardCharsets.UTF_8));
            message.setQos(1);
            message.setProperties(properties);
            publisher.publish(topic, message);

            Optional<Mqtt5Publish> received = publishes.receive(5, TimeUnit.SECONDS);

            assertTrue(received.isPresent(), "no message within 5 s");
            OptionalLong interval = received.get().getMessageExpiryInterval();
            assertTrue(interval.isPresent(), "interval missing");
            assertTrue(interval.getAsLong() >= 119, "interval " + interval);
            assertTrue(interval.getAsLong() <= 120, "interval " + interval);
        } finally {
            TestClients.disconnect(publisher);
            TestClients.disconnect(subscriber);
        }
    }

    private static RawMqttClient subscriber(String filter) {
        RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("sub")));
        Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), filter, 1);
        return client;
    }

    /** Subscribes with a persistent session, disconnects, and waits until the broker keeps the session offline. */
    private static void subscribeAndLeave(String clientId, String topic) {
        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId)
                .properties(Mqtt5Properties.create().sessionExpiryInterval(60)))) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1);
            client.send(MqttPackets.disconnect5(0x00));
            client.receiveUntilClosed(Duration.ofSeconds(5));
        }
        await().atMost(Duration.ofSeconds(3)).until(() -> BROKER.broker().status().connectedClients() == 0);
    }

    private static RawMqttClient reconnect(String clientId) {
        return Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId).cleanStart(false)
                .properties(Mqtt5Properties.create().sessionExpiryInterval(0)));
    }

    /** Waits until {@code duration} has passed since {@code startNanos}: expiry needs wall time to pass. */
    private static void awaitElapsed(long startNanos, Duration duration) {
        await().atMost(duration.plusSeconds(2)).until(() -> System.nanoTime() - startNanos >= duration.toNanos());
    }
}
