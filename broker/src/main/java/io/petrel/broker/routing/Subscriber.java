package io.petrel.broker.routing;

import io.petrel.broker.protocol.EncodedPublish;

/**
 * A destination in the subscription trie: a network session, an in-process subscription, or a
 * shared-subscription group that forwards to one of its members.
 *
 * <p>{@link #deliver} is called from the publisher's thread (a network event loop or an application
 * thread) and must not block: implementations hand the message to their own consumer through a
 * lock-free queue.
 */
public interface Subscriber {

    /**
     * Hands one message to this subscriber.
     *
     * @param publish  the message with its shared encodings; a network subscriber that keeps it takes a
     *                 user reference with {@link EncodedPublish#retainUser()} and releases it once
     *                 written or dropped
     * @param delivery the delivered QoS, retain flag and subscription identifiers
     */
    void deliver(EncodedPublish publish, Delivery delivery);

    /** Returns a name for logs: the client identifier, or the filter of an in-process subscription. */
    String name();

    /**
     * Returns true if {@code publisher}, the origin passed to {@link MessageRouter#route}, is this
     * subscriber's own connection; a grant with the No Local option skips such messages.
     */
    default boolean isOrigin(Object publisher) {
        return publisher == this;
    }

    /** Returns true if the subscriber can take a message now; a shared group prefers such members. */
    default boolean isOnline() {
        return true;
    }
}
