package io.petrel.broker.session;

import io.petrel.api.Message;
import io.petrel.api.store.SessionStore;
import io.petrel.api.store.StoredSession;
import io.petrel.api.store.StoredSubscription;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The session store of a broker without persistence: it writes nothing and starts empty, so
 * persistent sessions live only in memory and are lost when the JVM exits. Stateless and thread-safe.
 */
public final class NoOpSessionStore implements SessionStore {

    /** The shared instance. */
    public static final NoOpSessionStore INSTANCE = new NoOpSessionStore();

    private static final CompletionStage<Void> DONE = CompletableFuture.completedStage(null);

    private NoOpSessionStore() {
    }

    @Override
    public CompletionStage<Void> sessionStored(String clientId, long expiryIntervalSeconds, long storedEpochMillis) {
        return DONE;
    }

    @Override
    public CompletionStage<Void> sessionEnded(String clientId) {
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
    public CompletionStage<Void> messageQueued(String clientId, long messageId, Message message,
                                               long arrivalEpochMillis) {
        return DONE;
    }

    @Override
    public CompletionStage<Void> messageSent(String clientId, long messageId, int packetId) {
        return DONE;
    }

    @Override
    public CompletionStage<Void> messageReleased(String clientId, long messageId) {
        return DONE;
    }

    @Override
    public CompletionStage<Void> messageRemoved(String clientId, long messageId) {
        return DONE;
    }

    @Override
    public CompletionStage<Void> inboundQos2Received(String clientId, int packetId) {
        return DONE;
    }

    @Override
    public CompletionStage<Void> inboundQos2Released(String clientId, int packetId) {
        return DONE;
    }

    @Override
    public List<StoredSession> load() {
        return List.of();
    }

    @Override
    public String toString() {
        return "NoOpSessionStore";
    }
}
