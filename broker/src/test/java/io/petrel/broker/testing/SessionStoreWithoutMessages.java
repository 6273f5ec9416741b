package io.petrel.broker.testing;

import io.petrel.api.Message;
import io.petrel.api.store.SessionStore;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A base for test session stores that record sessions and subscriptions only: every message and
 * incoming QoS 2 record completes at once and is not kept.
 */
public abstract class SessionStoreWithoutMessages implements SessionStore {

    /** A completed write stage, shared. */
    protected static final CompletionStage<Void> DONE = CompletableFuture.completedStage(null);

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
}
