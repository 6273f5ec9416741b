package io.petrel.broker;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static io.petrel.broker.testing.MqttPackets.MQTT_5;
import static io.petrel.broker.testing.MqttPackets.PUBACK;
import static io.petrel.broker.testing.MqttPackets.PUBCOMP;
import static io.petrel.broker.testing.MqttPackets.PUBLISH;
import static io.petrel.broker.testing.MqttPackets.PUBREC;
import static io.petrel.broker.testing.MqttPackets.PUBREL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;
import io.petrel.api.store.StoredSession;
import io.petrel.broker.testing.SessionStoreWithoutMessages;
import io.petrel.api.store.StoredSubscription;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.ReceivedProperties;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Persistent sessions across a restart: a broker built with {@link PetrelBroker.Builder#persistence}
 * is closed and a second one is started on the same data directory, as an embedding application
 * restarts it. The session journal comes from the {@code petrel-persistence} jar on the test class path.
 */
class BrokerSessionRestartTest {

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);
    /** Long enough for a packet that was sent at once to arrive over loopback. */
    private static final Duration NOTHING_WAIT = Duration.ofMillis(300);

    @TempDir
    Path dataDirectory;

    @Test
    void offlineSessionKeepsSubscriptionsAcrossRestart() {
        try (PetrelBroker broker = start();
             RawMqttClient subscriber = connect311(broker, "sub", false)) {
            subscriber.subscribe(MQTT_3_1_1, 1, "plain/t", "$share/g/shared/t");
            disconnect(subscriber);
        }

        try (PetrelBroker broker = start()) {
            try (RawMqttClient publisher = connect311(broker, "pub", true)) {
                publishAcknowledged(publisher, "plain/t", "one", 1);
                publishAcknowledged(publisher, "shared/t", "two", 2);
            }

            try (RawMqttClient subscriber = connect311(broker, "sub", false)) {
                assertTrue(subscriber.connack().sessionPresent(), "session present after restart");
                RawPacket first = subscriber.receive(PUBLISH);
                RawPacket second = subscriber.receive(PUBLISH);

                assertEquals(Set.of("plain/t", "shared/t"), Set.of(first.topic(), second.topic()));
                assertEquals(1, first.qos());
            }
        }
    }

    @Test
    void connectedMqtt5SessionSurvivesRestart() {
        RawMqttClient connected;
        try (PetrelBroker broker = start()) {
            connected = connect5(broker, "sub5", 300);
            connected.subscribe(MQTT_5, 1, "v5/t");
        }
        // The broker closed while the client was connected.
        connected.close();

        try (PetrelBroker broker = start();
             RawMqttClient subscriber = connect5(broker, "sub5", 300);
             RawMqttClient publisher = connect311(broker, "pub5", true)) {
            assertTrue(subscriber.connack().sessionPresent(), "session present after restart");

            publishAcknowledged(publisher, "v5/t", "hello", 1);

            RawPacket received = subscriber.receive(PUBLISH);
            assertEquals("v5/t", received.topic());
            assertEquals("hello", received.payload(MQTT_5));
        }
    }

    @Test
    void subscriptionOptionsSurviveRestart() {
        int noLocal = 0x04;
        try (PetrelBroker broker = start();
             RawMqttClient subscriber = connect5(broker, "options", 300)) {
            Mqtt5Packets.subscribeAndAwait(subscriber, 1, Mqtt5Properties.create().subscriptionIdentifier(42),
                    "options/t", 1 | noLocal);
        }

        try (PetrelBroker broker = start();
             RawMqttClient subscriber = connect5(broker, "options", 300);
             RawMqttClient publisher = connect311(broker, "optionspub", true)) {
            subscriber.send(MqttPackets.publish(MQTT_5, "options/t", "own", 1, 1));
            assertEquals(1, subscriber.receive(PUBACK).packetId());
            publishAcknowledged(publisher, "options/t", "other", 2);

            RawPacket received = subscriber.receive(PUBLISH);
            assertEquals("other", received.payload(MQTT_5), "No Local kept: the own message is not delivered");
            assertEquals(List.of(42L), ReceivedProperties.ofPublish(received).subscriptionIdentifiers());
        }
    }

    @Test
    void unsubscribedFilterStaysRemovedAfterRestart() {
        try (PetrelBroker broker = start();
             RawMqttClient subscriber = connect311(broker, "unsub", false)) {
            subscriber.subscribe(MQTT_3_1_1, 1, "keep/t", "drop/t");
            subscriber.send(MqttPackets.unsubscribe(MQTT_3_1_1, 99, "drop/t"));
            assertEquals(99, subscriber.receive(MqttPackets.UNSUBACK).packetId());
            disconnect(subscriber);
        }

        try (PetrelBroker broker = start();
             RawMqttClient subscriber = connect311(broker, "unsub", false);
             RawMqttClient publisher = connect311(broker, "unsubpub", true)) {
            publishAcknowledged(publisher, "drop/t", "dropped", 1);
            publishAcknowledged(publisher, "keep/t", "kept", 2);

            assertEquals("keep/t", subscriber.receive(PUBLISH).topic());
        }
    }

    @Test
    void offlineQueuedMessagesSurviveRestart() {
        try (PetrelBroker broker = start()) {
            try (RawMqttClient subscriber = connect311(broker, "queued", false)) {
                subscriber.subscribe(MQTT_3_1_1, 2, "queued/t");
                disconnect(subscriber);
            }
            try (RawMqttClient publisher = connect311(broker, "queuedpub", true)) {
                publishAcknowledged(publisher, "queued/t", "one", 1);
                publisher.send(MqttPackets.publish(MQTT_3_1_1, "queued/t", "two", 2, 2));
                assertEquals(2, publisher.receive(PUBREC).packetId());
                publisher.send(MqttPackets.pubrel(2));
                assertEquals(2, publisher.receive(PUBCOMP).packetId());
            }
        }

        try (PetrelBroker broker = start();
             RawMqttClient subscriber = connect311(broker, "queued", false)) {
            RawPacket first = subscriber.receive(PUBLISH);
            RawPacket second = subscriber.receive(PUBLISH);

            assertEquals("one", first.payload(MQTT_3_1_1));
            assertEquals(1, first.qos());
            assertEquals("two", second.payload(MQTT_3_1_1));
            assertEquals(2, second.qos());
        }
    }

    @Test
    void inflightMessageResentWithDupAfterRestart() {
        int packetId;
        try (PetrelBroker broker = start();
             RawMqttClient subscriber = connect311(broker, "inflight", false);
             RawMqttClient publisher = connect311(broker, "inflightpub", true)) {
            subscriber.subscribe(MQTT_3_1_1, 1, "inflight/t");
            publishAcknowledged(publisher, "inflight/t", "unacked", 1);
            // The subscriber receives the message and sends no PUBACK.
            packetId = subscriber.receive(PUBLISH).publishPacketId();
        }

        try (PetrelBroker broker = start()) {
            try (RawMqttClient subscriber = connect311(broker, "inflight", false)) {
                RawPacket resent = subscriber.receive(PUBLISH);

                assertTrue(resent.dup(), "DUP on the resent message");
                assertEquals(packetId, resent.publishPacketId());
                assertEquals("unacked", resent.payload(MQTT_3_1_1));
                subscriber.send(MqttPackets.puback(packetId));
                disconnect(subscriber);
            }
            try (RawMqttClient subscriber = connect311(broker, "inflight", false)) {
                assertThrows(AssertionError.class, () -> subscriber.receive(NOTHING_WAIT),
                        "acknowledged message sent again");
            }
        }
    }

    @Test
    void releasedQos2GetsPubRelAfterRestart() {
        int packetId;
        try (PetrelBroker broker = start();
             RawMqttClient subscriber = connect311(broker, "released", false)) {
            subscriber.subscribe(MQTT_3_1_1, 2, "released/t");
            broker.publish(Message.builder("released/t").payload("x").qos(Qos.EXACTLY_ONCE).build());
            packetId = subscriber.receive(PUBLISH).publishPacketId();
            subscriber.send(MqttPackets.pubrec(packetId));
            // The subscriber sends no PUBCOMP.
            assertEquals(packetId, subscriber.receive(PUBREL).packetId());
        }

        try (PetrelBroker broker = start()) {
            try (RawMqttClient subscriber = connect311(broker, "released", false)) {
                RawPacket release = subscriber.receive();

                assertEquals(PUBREL, release.type(), "PUBREL instead of the message: " + release.typeName());
                assertEquals(packetId, release.packetId());
                subscriber.send(MqttPackets.pubcomp(packetId));
                disconnect(subscriber);
            }
            try (RawMqttClient subscriber = connect311(broker, "released", false)) {
                assertThrows(AssertionError.class, () -> subscriber.receive(NOTHING_WAIT),
                        "completed QoS 2 exchange resumed again");
            }
        }
    }

    @Test
    void inboundQos2NotRoutedTwiceAfterRestart() {
        try (PetrelBroker broker = start()) {
            try (RawMqttClient watcher = connect311(broker, "watcher", false)) {
                watcher.subscribe(MQTT_3_1_1, 1, "once/t");
                disconnect(watcher);
            }
            try (RawMqttClient publisher = connect311(broker, "oncepub", false)) {
                publisher.send(MqttPackets.publish(MQTT_3_1_1, "once/t", "first", 2, 5));
                // The publisher sends no PUBREL.
                assertEquals(5, publisher.receive(PUBREC).packetId());
            }
        }

        try (PetrelBroker broker = start();
             RawMqttClient watcher = connect311(broker, "watcher", false);
             RawMqttClient publisher = connect311(broker, "oncepub", false)) {
            RawPacket delivered = watcher.receive(PUBLISH);
            watcher.send(MqttPackets.puback(delivered.publishPacketId()));
            publisher.send(MqttPackets.publish(MQTT_3_1_1, "once/t", "first", 2, 5, true, false));
            assertEquals(5, publisher.receive(PUBREC).packetId());
            publisher.send(MqttPackets.pubrel(5));
            assertEquals(5, publisher.receive(PUBCOMP).packetId());

            assertEquals("first", delivered.payload(MQTT_3_1_1));
            assertThrows(AssertionError.class, () -> watcher.receive(NOTHING_WAIT), "resent message routed again");
        }
    }

    @Test
    void cleanSessionNotRestored() {
        try (PetrelBroker broker = start();
             RawMqttClient subscriber = connect311(broker, "clean", true)) {
            subscriber.subscribe(MQTT_3_1_1, 1, "clean/t");
        }

        try (PetrelBroker broker = start();
             RawMqttClient subscriber = connect311(broker, "clean", false)) {
            assertFalse(subscriber.connack().sessionPresent(), "session present after clean session 1");
        }
    }

    @Test
    void sessionExpiredWhileStoppedIsDropped() {
        long now = System.currentTimeMillis();
        StoredSubscription subscription = new StoredSubscription("x/t", Qos.AT_LEAST_ONCE, false, false,
                RetainHandling.SEND_ON_SUBSCRIBE, 0);
        RecordingSessionStore store = new RecordingSessionStore(List.of(
                new StoredSession("expired", 60, now - 120_000, List.of(subscription)),
                new StoredSession("alive", 600, now - 120_000, List.of(subscription))));
        PetrelBroker broker = PetrelBroker.builder().config(BrokerExtension.testConfig().build())
                .sessionStore(store).build();
        broker.start();
        try (broker;
             RawMqttClient expired = connect311(broker, "expired", false);
             RawMqttClient alive = connect311(broker, "alive", false)) {

            assertFalse(expired.connack().sessionPresent(), "session present after its expiry interval");
            assertTrue(alive.connack().sessionPresent(), "session present within its expiry interval");
            assertTrue(store.ended.contains("expired"), "end record of the expired session: " + store.ended);
        }
        assertTrue(store.closed, "store closed with the broker");
    }

    private PetrelBroker start() {
        PetrelBroker broker = PetrelBroker.builder().config(BrokerExtension.testConfig().build())
                .persistence(dataDirectory).build();
        broker.start();
        return broker;
    }

    private static RawMqttClient connect311(PetrelBroker broker, String clientId, boolean cleanSession) {
        return RawMqttClient.connect(broker.port(), ConnectPacket.mqtt311(clientId).cleanSession(cleanSession));
    }

    private static RawMqttClient connect5(PetrelBroker broker, String clientId, long expirySeconds) {
        return RawMqttClient.connect(broker.port(),
                ConnectPacket.mqtt5(clientId).cleanSession(false).sessionExpirySeconds(expirySeconds));
    }

    /** Sends DISCONNECT and waits until the broker has closed the connection, so the session is offline. */
    private static void disconnect(RawMqttClient client) {
        client.send(MqttPackets.disconnect());
        assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
    }

    private static void publishAcknowledged(RawMqttClient publisher, String topic, String payload, int packetId) {
        publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, payload, 1, packetId));
        assertEquals(packetId, publisher.receive(PUBACK).packetId());
    }

    /** A session store that returns fixed sessions and records which sessions were ended. */
    private static final class RecordingSessionStore extends SessionStoreWithoutMessages {

        private final List<StoredSession> stored;
        private final List<String> ended = new CopyOnWriteArrayList<>();
        private volatile boolean closed;

        RecordingSessionStore(List<StoredSession> stored) {
            this.stored = stored;
        }

        @Override
        public CompletionStage<Void> sessionStored(String clientId, long expiryIntervalSeconds,
                                                   long storedEpochMillis) {
            return DONE;
        }

        @Override
        public CompletionStage<Void> sessionEnded(String clientId) {
            ended.add(clientId);
            return DONE;
        }

        @Override
        public CompletionStage<Void> subscriptionAdded(String clientId, StoredSubscription subscription) {
            return DONE;
        }

        @Override
        public CompletionStage<Void> subscriptionRemoved(String clientId, String filter) {
            return DONE;
        }

        @Override
        public List<StoredSession> load() {
            return stored;
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
