package io.petrel.broker.session;

import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.routing.Delivery;
import io.petrel.broker.routing.SharedGroup;

/**
 * A message waiting in a session's queue, holding one user reference on its encodings. It is also
 * the link of the session's inbox, so that queuing a message allocates no separate list node.
 *
 * <p>Threads: the fields are final except {@link #next}, which the publishing thread sets before
 * it publishes the entry with an atomic update of the inbox, and which the session's owner reads
 * after taking the entries out with an atomic update.
 */
final class QueuedPublish {

    private final EncodedPublish publish;
    private final Delivery delivery;
    private final SharedGroup origin;
    private final long messageId;
    QueuedPublish next;

    /**
     * Creates an entry.
     *
     * @param publish   the shared message and encodings
     * @param delivery  the delivered QoS, retain flag and subscription identifiers
     * @param origin    the shared group the message came through, or null
     * @param messageId the identifier of the message in the session store, or 0 if it is not stored
     */
    QueuedPublish(EncodedPublish publish, Delivery delivery, SharedGroup origin, long messageId) {
        this.publish = publish;
        this.delivery = delivery;
        this.origin = origin;
        this.messageId = messageId;
    }

    EncodedPublish publish() {
        return publish;
    }

    Delivery delivery() {
        return delivery;
    }

    SharedGroup origin() {
        return origin;
    }

    long messageId() {
        return messageId;
    }

    int qos() {
        return delivery.qos().value();
    }
}
