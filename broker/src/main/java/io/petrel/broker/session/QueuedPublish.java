package io.petrel.broker.session;

import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.routing.Delivery;
import io.petrel.broker.routing.SharedGroup;

/**
 * A message for a session, holding one user reference on its encodings. It waits in the session's
 * queue and, once sent at QoS 1 or 2, stays in the session's {@link InflightWindow} until the
 * exchange completes, so sending it allocates no second entry. It is also the link of the session's
 * inbox and of the window's send order, so that neither allocates a separate list node.
 *
 * <p>Threads: the fields are final except {@link #next}, which the publishing thread sets before
 * it publishes the entry with an atomic update of the inbox, and which the session's owner reads
 * after taking the entries out with an atomic update. From then on only the session's owner uses
 * the entry, and the in-flight fields belong to the window.
 */
final class QueuedPublish {

    private final EncodedPublish publish;
    private final Delivery delivery;
    private final SharedGroup origin;
    private final long messageId;
    private boolean released;
    /** The packet identifier it was sent with, set when it enters an {@link InflightWindow}. */
    private int packetId;
    /** The next entry in the inbox, or in the window's send order once the entry is in flight. */
    QueuedPublish next;
    /** The previous entry in the window's send order, maintained by {@link InflightWindow}. */
    QueuedPublish previous;
    /** True while in the window and not yet sent on the session's current connection. */
    boolean unsent;

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

    /** Returns the packet identifier it was sent with. */
    int packetId() {
        return packetId;
    }

    /** Places the entry in the window after {@code predecessor}, or first when that is null, under {@code id}. */
    void link(int id, QueuedPublish predecessor) {
        this.packetId = id;
        this.previous = predecessor;
        this.next = null;
    }

    /** Returns true once PUBREC arrived and PUBREL was sent: only PUBCOMP is awaited. */
    boolean released() {
        return released;
    }

    void markReleased() {
        released = true;
    }
}
