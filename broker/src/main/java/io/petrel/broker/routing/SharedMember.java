package io.petrel.broker.routing;

import io.petrel.broker.protocol.EncodedPublish;

import java.util.concurrent.CompletableFuture;

/**
 * A subscriber that remembers which shared group a message came from, so that it can hand its
 * unacknowledged messages to another member when it disconnects.
 */
public interface SharedMember extends Subscriber {

    /**
     * Hands over a message, like {@link #deliver}, and reports whether it waits for a store write.
     *
     * @param group the shared group the message came through, or null for a direct match
     * @return {@link DeliveryGate#SETTLED} or another completed stage if the message was queued or
     *         dropped at once; otherwise a stage that completes once the session store wrote the
     *         queued message, or fails with a {@link StoreWriteException}
     */
    CompletableFuture<Void> deliverShared(EncodedPublish publish, Delivery delivery, SharedGroup group);
}
