package io.petrel.broker.session;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.petrel.api.store.SessionStore;
import io.petrel.api.store.StoredSession;
import io.petrel.broker.testing.SessionStoreWithoutMessages;
import io.petrel.api.store.StoredSubscription;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The records the broker hands to its {@link SessionStore}: which sessions get them, and SUBACK
 * waiting for the subscription record.
 */
class SessionStoreWritesTest {

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

    @Test
    void subAckWaitsForSubscriptionRecord() {
        RecordingSessionStore store = new RecordingSessionStore();
        store.subscriptionWrite = new CompletableFuture<>();
        try (PetrelBroker broker = start(store);
             RawMqttClient client = connect(broker, "waiting", false)) {
            client.send(MqttPackets.subscribe(MQTT_3_1_1, 7, 1, "wait/t"));
            client.send(MqttPackets.pingreq());
            await().atMost(Duration.ofSeconds(5)).until(() -> !store.records.isEmpty()
                    && store.records.get(store.records.size() - 1).startsWith("subscribed"));

            assertThrows(AssertionError.class, () -> client.receive(Duration.ofMillis(300)),
                    "packet sent before the subscription record was written");

            store.subscriptionWrite.complete(null);
            assertEquals(7, client.receive().packetId(), "SUBACK first");
            assertEquals(MqttPackets.PINGRESP, client.receive().type(), "PINGRESP after SUBACK");
        }
    }

    @Test
    void persistentSessionRecordsWritten() {
        RecordingSessionStore store = new RecordingSessionStore();
        try (PetrelBroker broker = start(store)) {
            try (RawMqttClient client = connect(broker, "kept", false)) {
                client.subscribe(MQTT_3_1_1, 1, "a/t", "$share/g/b/t");
                client.send(MqttPackets.unsubscribe(MQTT_3_1_1, 9, "a/t"));
                assertEquals(9, client.receive(MqttPackets.UNSUBACK).packetId());
                disconnect(client);
            }
            try (RawMqttClient client = connect(broker, "kept", true)) {
                disconnect(client);
            }
        }

        assertEquals(List.of(
                "stored kept 4294967295",
                "subscribed kept a/t 1",
                "subscribed kept $share/g/b/t 1",
                "unsubscribed kept a/t",
                "stored kept 4294967295",
                "ended kept"), store.records);
    }

    @Test
    void cleanSessionWritesNoRecords() {
        RecordingSessionStore store = new RecordingSessionStore();
        try (PetrelBroker broker = start(store);
             RawMqttClient client = connect(broker, "clean", true)) {
            client.subscribe(MQTT_3_1_1, 1, "c/t");
            disconnect(client);
        }

        assertEquals(List.of(), store.records);
    }

    private static PetrelBroker start(SessionStore store) {
        PetrelBroker broker = PetrelBroker.builder().config(BrokerExtension.testConfig().build())
                .sessionStore(store).build();
        broker.start();
        return broker;
    }

    private static RawMqttClient connect(PetrelBroker broker, String clientId, boolean cleanSession) {
        return RawMqttClient.connect(broker.port(), ConnectPacket.mqtt311(clientId).cleanSession(cleanSession));
    }

    /** Sends DISCONNECT and waits until the broker has closed the connection, so the session is offline. */
    private static void disconnect(RawMqttClient client) {
        client.send(MqttPackets.disconnect());
        assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
    }

    /**
     * A session store that records each write as a line. A subscription write completes at once, or
     * when the test completes {@link #subscriptionWrite}.
     */
    private static final class RecordingSessionStore extends SessionStoreWithoutMessages {

        private final List<String> records = new CopyOnWriteArrayList<>();
        private volatile CompletableFuture<Void> subscriptionWrite;

        @Override
        public CompletionStage<Void> sessionStored(String clientId, long expiryIntervalSeconds,
                                                   long storedEpochMillis) {
            records.add("stored " + clientId + " " + expiryIntervalSeconds);
            return DONE;
        }

        @Override
        public CompletionStage<Void> sessionEnded(String clientId) {
            records.add("ended " + clientId);
            return DONE;
        }

        @Override
        public CompletionStage<Void> subscriptionAdded(String clientId, StoredSubscription subscription) {
            records.add("subscribed " + clientId + " " + subscription.filter() + " " + subscription.qos().value());
            CompletableFuture<Void> write = subscriptionWrite;
            return write != null ? write : DONE;
        }

        @Override
        public CompletionStage<Void> subscriptionRemoved(String clientId, String filter) {
            records.add("unsubscribed " + clientId + " " + filter);
            return DONE;
        }

        @Override
        public List<StoredSession> load() {
            return List.of();
        }
    }
}
