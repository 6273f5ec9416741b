package io.petrel.broker.retained;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static io.petrel.broker.testing.MqttPackets.PUBACK;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.store.RetainedStore;
import io.petrel.api.store.StoredRetainedMessage;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** How the broker uses a {@link RetainedStore}: what it writes, when it acknowledges, what it loads. */
class RetainedStoreTest {

    /** Long enough for a PUBACK that was sent at once to arrive over loopback. */
    private static final Duration NO_ACK_WAIT = Duration.ofMillis(300);

    @Test
    void pubackWaitsForRetainedStore() {
        GatedStore store = new GatedStore();
        try (PetrelBroker broker = start(store);
             RawMqttClient publisher = RawMqttClient.connect(broker.port(), ConnectPacket.mqtt311("gated-publisher"))) {
            publisher.send(MqttPackets.publish(MQTT_3_1_1, "store/gated", "v1", 1, 7, false, true));

            assertThrows(AssertionError.class, () -> publisher.receive(NO_ACK_WAIT), "PUBACK before the store wrote");
            store.writes.get(0).complete(null);
            RawPacket ack = publisher.receive();

            assertEquals(PUBACK, ack.type());
            assertEquals(7, ack.packetId());
        }
    }

    @Test
    void failedStoreWriteAnswers0x97ToMqtt5() {
        GatedStore store = new GatedStore();
        try (PetrelBroker broker = start(store);
             RawMqttClient publisher = RawMqttClient.connect(broker.port(), ConnectPacket.mqtt5("failing-publisher"))) {
            publisher.send(MqttPackets.publish(MqttPackets.MQTT_5, "store/failing", "v1", 1, 8, false, true));
            await().atMost(Duration.ofSeconds(5)).until(() -> store.writes.size() == 1);

            store.writes.get(0).completeExceptionally(new IOException("disk full"));
            RawPacket ack = publisher.receive();

            assertEquals(PUBACK, ack.type());
            assertEquals(8, ack.packetId());
            assertEquals(0x97, ack.reasonCode());
        }
    }

    @Test
    void failedStoreWriteClosesMqtt311Publisher() {
        GatedStore store = new GatedStore();
        try (PetrelBroker broker = start(store);
             RawMqttClient publisher = RawMqttClient.connect(broker.port(), ConnectPacket.mqtt311("failing-311"))) {
            publisher.send(MqttPackets.publish(MQTT_3_1_1, "store/failing", "v1", 1, 9, false, true));
            await().atMost(Duration.ofSeconds(5)).until(() -> store.writes.size() == 1);

            store.writes.get(0).completeExceptionally(new IOException("disk full"));
            List<RawPacket> received = publisher.receiveUntilClosed(Duration.ofSeconds(5));

            assertTrue(received.stream().noneMatch(packet -> packet.type() == PUBACK), "no PUBACK: " + received);
        }
    }

    @Test
    void inProcessPublishCompletesAfterStore() {
        GatedStore store = new GatedStore();
        try (PetrelBroker broker = start(store)) {
            CompletableFuture<Void> published = broker.publish(Message.builder("store/local").payload("v")
                    .qos(Qos.AT_LEAST_ONCE).retain(true).build()).toCompletableFuture();

            assertFalse(published.isDone(), "publish completed before the store wrote");
            store.writes.get(0).complete(null);
            published.orTimeout(5, TimeUnit.SECONDS).join();
            assertTrue(published.isDone(), "publish completed after the store wrote");
        }
    }

    @Test
    void retainedChangesReachStore() {
        GatedStore store = new GatedStore();
        store.completeAtOnce = true;
        try (PetrelBroker broker = start(store)) {
            broker.publish(Message.builder("store/a").payload("1").retain(true).build());
            broker.publish(Message.builder("store/a").retain(true).build());
            broker.publish(Message.builder("store/b").payload("not retained").build());

            assertEquals(List.of("set store/a", "clear store/a"), store.operations);
        }
    }

    @Test
    void startLoadsStoredMessages() throws InterruptedException {
        GatedStore store = new GatedStore();
        store.stored.add(new StoredRetainedMessage(
                Message.builder("store/loaded").payload("from disk").retain(true).build(), System.currentTimeMillis()));
        try (PetrelBroker broker = start(store)) {
            BlockingQueue<Message> received = new LinkedBlockingQueue<>();
            broker.subscribe("store/#", received::add);

            Message message = received.poll(5, TimeUnit.SECONDS);

            assertEquals("from disk", message == null ? null : message.payloadAsString());
            assertEquals(1, broker.status().retainedMessages());
        }
    }

    @Test
    void startSkipsExpiredStoredMessage() {
        GatedStore store = new GatedStore();
        long elevenSecondsAgo = System.currentTimeMillis() - 11_000;
        store.stored.add(new StoredRetainedMessage(Message.builder("store/expired").payload("old").retain(true)
                .messageExpiryIntervalSeconds(10).build(), elevenSecondsAgo));
        store.stored.add(new StoredRetainedMessage(Message.builder("store/alive").payload("young").retain(true)
                .messageExpiryIntervalSeconds(60).build(), elevenSecondsAgo));
        try (PetrelBroker broker = start(store)) {
            assertEquals(1, broker.status().retainedMessages());
        }
    }

    @Test
    void closeClosesRetainedStore() {
        GatedStore store = new GatedStore();
        PetrelBroker broker = start(store);

        broker.close();

        assertTrue(store.closed, "store closed with the broker");
    }

    private static PetrelBroker start(RetainedStore store) {
        PetrelBroker broker = PetrelBroker.builder().config(BrokerExtension.testConfig().build())
                .retainedStore(store).build();
        broker.start();
        return broker;
    }

    /** A store whose writes complete when the test completes them, unless {@code completeAtOnce}. */
    private static final class GatedStore implements RetainedStore {

        final List<StoredRetainedMessage> stored = new ArrayList<>();
        final List<CompletableFuture<Void>> writes = new CopyOnWriteArrayList<>();
        final List<String> operations = new CopyOnWriteArrayList<>();
        volatile boolean completeAtOnce;
        volatile boolean closed;

        @Override
        public void forEach(Consumer<StoredRetainedMessage> visitor) {
            stored.forEach(visitor);
        }

        @Override
        public CompletionStage<Void> set(Message message, long arrivalEpochMillis) {
            operations.add("set " + message.topic());
            return write();
        }

        @Override
        public CompletionStage<Void> clear(String topic) {
            operations.add("clear " + topic);
            return write();
        }

        private CompletableFuture<Void> write() {
            CompletableFuture<Void> write = completeAtOnce ? CompletableFuture.completedFuture(null)
                    : new CompletableFuture<>();
            writes.add(write);
            return write;
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
