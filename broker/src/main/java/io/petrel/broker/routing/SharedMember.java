package io.petrel.broker.routing;

import io.petrel.broker.protocol.EncodedPublish;

/**
 * A subscriber that remembers which shared group a message came from, so that it can hand its
 * unacknowledged messages to another member when it disconnects.
 */
public interface SharedMember extends Subscriber {

    /** Hands over a message delivered through {@code group}. */
    void deliverShared(EncodedPublish publish, Delivery delivery, SharedGroup group);
}
