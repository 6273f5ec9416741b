package io.petrel.broker.routing;

import io.petrel.api.Qos;
import io.petrel.broker.protocol.EncodedPublish;

/**
 * A destination in the subscription trie: a network session or an in-process subscription.
 *
 * <p>{@link #deliver} is called from the publisher's thread (a network event loop or an application
 * thread) and must not block: implementations hand the message to their own consumer through a
 * lock-free queue.
 */
public interface Subscriber {

    /**
     * Hands one message to this subscriber.
     *
     * @param publish    the message with its shared encodings; a network subscriber that keeps it
     *                   takes a user reference with {@link EncodedPublish#retainUser()} and releases
     *                   it once written or dropped
     * @param qos        the delivered QoS: the lower of the published and the granted QoS
     * @param retainFlag the retain flag to set on the outgoing PUBLISH
     */
    void deliver(EncodedPublish publish, Qos qos, boolean retainFlag);

    /** Returns a name for logs: the client identifier, or the filter of an in-process subscription. */
    String name();
}
