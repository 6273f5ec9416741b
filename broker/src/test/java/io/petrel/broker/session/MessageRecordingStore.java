package io.petrel.broker.session;

import io.petrel.api.Message;
import io.petrel.api.store.SessionStore;
import io.petrel.api.store.StoredSession;
import io.petrel.api.store.StoredSubscription;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A session store that records each write as a line, such as {@code "queued sub 1 a/t 1"}, and
 * returns fixed sessions from {@link #load}. A message or incoming QoS 2 record completes at once,
 * or as the test completes {@link #queuedWrite} or {@link #inboundWrite}.
 */
final class MessageRecordingStore implements SessionStore {

    private static final CompletionStage<Void> DONE = CompletableFuture.completedStage(null);

    final List<String> records = new CopyOnWriteArrayList<>();
    final List<Message> queuedMessages = new CopyOnWriteArrayList<>();
    private final List<StoredSession> stored;
    volatile CompletableFuture<Void> queuedWrite;
    volatile CompletableFuture<Void> inboundWrite;

    MessageRecordingStore() {
        this(List.of());
    }

    MessageRecordingStore(List<StoredSession> stored) {
        this.stored = stored;
    }

    /** Returns the records about messages and incoming QoS 2 identifiers, in the order they were written. */
    List<String> messageRecords() {
        return records.stream().filter(line -> !line.startsWith("stored ") && !line.startsWith("subscribed ")).toList();
    }

    @Override
    public CompletionStage<Void> sessionStored(String clientId, long expiryIntervalSeconds, long storedEpochMillis) {
        records.add("stored " + clientId);
        return DONE;
    }

    @Override
    public CompletionStage<Void> sessionEnded(String clientId) {
        records.add("ended " + clientId);
        return DONE;
    }

    @Override
    public CompletionStage<Void> subscriptionAdded(String clientId, StoredSubscription subscription) {
        records.add("subscribed " + clientId + " " + subscription.filter());
        return DONE;
    }

    @Override
    public CompletionStage<Void> subscriptionRemoved(String clientId, String filter) {
        records.add("unsubscribed " + clientId + " " + filter);
        return DONE;
    }

    @Override
    public CompletionStage<Void> messageQueued(String clientId, long messageId, Message message,
                                               long arrivalEpochMillis) {
        queuedMessages.add(message);
        records.add("queued " + clientId + " " + messageId + " " + message.topic() + " " + message.qos().value());
        CompletableFuture<Void> write = queuedWrite;
        return write != null ? write : DONE;
    }

    @Override
    public CompletionStage<Void> messageSent(String clientId, long messageId, int packetId) {
        records.add("sent " + clientId + " " + messageId + " " + packetId);
        return DONE;
    }

    @Override
    public CompletionStage<Void> messageReleased(String clientId, long messageId) {
        records.add("released " + clientId + " " + messageId);
        return DONE;
    }

    @Override
    public CompletionStage<Void> messageRemoved(String clientId, long messageId) {
        records.add("removed " + clientId + " " + messageId);
        return DONE;
    }

    @Override
    public CompletionStage<Void> inboundQos2Received(String clientId, int packetId) {
        records.add("inbound " + clientId + " " + packetId);
        CompletableFuture<Void> write = inboundWrite;
        return write != null ? write : DONE;
    }

    @Override
    public CompletionStage<Void> inboundQos2Released(String clientId, int packetId) {
        records.add("inbound-released " + clientId + " " + packetId);
        return DONE;
    }

    @Override
    public List<StoredSession> load() {
        return stored;
    }
}
