package io.petrel.broker.routing;

import io.petrel.broker.protocol.EncodedPublish;

import java.util.concurrent.CompletableFuture;

/**
 * Stands between routing and each subscriber: may drop a delivery, change its message, or hand it
 * over later. The broker installs one only when a receive authorizer or an outbound interceptor
 * exists, so routing without hooks calls subscribers directly.
 *
 * <p>Thread-safe: called from publisher threads, like {@link Subscriber#deliver}, and must not block.
 */
public interface DeliveryGate {

    /** The result of a delivery that was handed over, dropped or otherwise settled at once. Never completed again. */
    CompletableFuture<Void> SETTLED = CompletableFuture.completedFuture(null);

    /**
     * Passes one delivery through the gate to {@code subscriber}. The caller keeps its own user
     * reference of {@code publish} and releases it when this call returns; a gate that hands the
     * message over later takes a reference of its own.
     *
     * @param group the shared group that picked {@code subscriber}, or null for a direct match or a
     *              retained message
     * @return a stage like that of {@link MessageRouter.BoundedSubscriber#offer}: complete once the
     *         message was handed over or dropped, or later if it waits for room or for a hook
     */
    CompletableFuture<Void> deliver(Subscriber subscriber, EncodedPublish publish, Delivery delivery, SharedGroup group);

    /**
     * Hands a delivery to {@code subscriber} as routing does without a gate: a live message to a
     * bounded subscriber through {@link MessageRouter.BoundedSubscriber#offer}, a message to a session
     * through {@link SharedMember#deliverShared}, which reports a pending session store write, anything
     * else through {@link Subscriber#deliver}.
     */
    static CompletableFuture<Void> handOver(Subscriber subscriber, EncodedPublish publish, Delivery delivery,
                                            SharedGroup group) {
        if (subscriber instanceof SharedMember member) {
            return member.deliverShared(publish, delivery, group);
        }
        // Live deliveries to in-process subscribers never carry the retain flag; retained ones on subscribe do.
        if (group == null && !delivery.retain() && subscriber instanceof MessageRouter.BoundedSubscriber bounded) {
            return bounded.offer(publish, delivery);
        }
        subscriber.deliver(publish, delivery);
        return SETTLED;
    }
}
