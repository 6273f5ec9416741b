package io.petrel.broker.session;

import io.petrel.api.Message;
import io.petrel.api.store.SessionStore;
import io.petrel.api.store.StoredSession;
import io.petrel.api.store.StoredSessionMessage;
import io.petrel.api.store.StoredSubscription;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A session store that records each write as a line, such as {@code "queued sub #1 a/t 1"}, and
 * returns fixed sessions from {@link #load}. A message or incoming QoS 2 record completes at once,
 * or as the test completes {@link #queuedWrite} or {@link #inboundWrite}.
 *
 * <p>A line names a message by the order in which its identifier first appeared for its client:
 * {@code #1} is the first. A queued message whose identifier is not above every identifier seen
 * for its client before, including those of the fixed sessions, is listed in
 * {@link #identifierViolations}.
 */
final class MessageRecordingStore implements SessionStore {

    private static final CompletionStage<Void> DONE = CompletableFuture.completedStage(null);

    final List<String> records = new CopyOnWriteArrayList<>();
    final List<Message> queuedMessages = new CopyOnWriteArrayList<>();
    final List<String> identifierViolations = new CopyOnWriteArrayList<>();
    private final List<StoredSession> stored;
    private final Map<String, List<Long>> identifiers = new HashMap<>();
    volatile CompletableFuture<Void> queuedWrite;
    volatile CompletableFuture<Void> inboundWrite;

    MessageRecordingStore() {
        this(List.of());
    }

    MessageRecordingStore(List<StoredSession> stored) {
        this.stored = stored;
        for (StoredSession session : stored) {
            for (StoredSessionMessage message : session.messages()) {
                name(session.clientId(), message.messageId());
            }
        }
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
        synchronized (identifiers) {
            List<Long> seen = identifiers.getOrDefault(clientId, List.of());
            if (!seen.isEmpty() && messageId <= seen.stream().mapToLong(Long::longValue).max().getAsLong()) {
                identifierViolations.add(clientId + " " + messageId);
            }
        }
        records.add("queued " + clientId + " " + name(clientId, messageId) + " " + message.topic() + " "
                + message.qos().value());
        CompletableFuture<Void> write = queuedWrite;
        return write != null ? write : DONE;
    }

    @Override
    public CompletionStage<Void> messageSent(String clientId, long messageId, int packetId) {
        records.add("sent " + clientId + " " + name(clientId, messageId) + " " + packetId);
        return DONE;
    }

    @Override
    public CompletionStage<Void> messageReleased(String clientId, long messageId) {
        records.add("released " + clientId + " " + name(clientId, messageId));
        return DONE;
    }

    @Override
    public CompletionStage<Void> messageRemoved(String clientId, long messageId) {
        records.add("removed " + clientId + " " + name(clientId, messageId));
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

    /** Returns {@code #n} for the n-th message identifier that appeared for {@code clientId}. */
    private String name(String clientId, long messageId) {
        synchronized (identifiers) {
            List<Long> seen = identifiers.computeIfAbsent(clientId, key -> new ArrayList<>());
            int index = seen.indexOf(messageId);
            if (index < 0) {
                seen.add(messageId);
                index = seen.size() - 1;
            }
            return "#" + (index + 1);
        }
    }

    @Override
    public List<StoredSession> load() {
        return stored;
    }
}
