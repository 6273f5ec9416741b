package io.petrel.broker.routing;

import io.petrel.broker.protocol.EncodedPublish;

/**
 * Stands between routing and each subscriber: may drop a delivery, change its message, or hand it
 * over later. The broker installs one only when a receive authorizer or an outbound interceptor
 * exists, so routing without hooks calls subscribers directly.
 *
 * <p>Thread-safe: called from publisher threads, like {@link Subscriber#deliver}, and must not block.
 */
public interface DeliveryGate {

    /**
     * Passes one delivery through the gate to {@code subscriber}. The caller keeps its own user
     * reference of {@code publish} and releases it when this call returns; a gate that hands the
     * message over later takes a reference of its own.
     *
     * @param group the shared group that picked {@code subscriber}, or null for a direct match
     */
    void deliver(Subscriber subscriber, EncodedPublish publish, Delivery delivery, SharedGroup group);

    /** Hands a delivery to {@code subscriber} directly, through its shared-member entry for a group. */
    static void handOver(Subscriber subscriber, EncodedPublish publish, Delivery delivery, SharedGroup group) {
        if (group != null && subscriber instanceof SharedMember member) {
            member.deliverShared(publish, delivery, group);
        } else {
            subscriber.deliver(publish, delivery);
        }
    }
}
