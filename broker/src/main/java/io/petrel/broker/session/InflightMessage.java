package io.petrel.broker.session;

import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.routing.Delivery;
import io.petrel.broker.routing.SharedGroup;

/**
 * An outbound QoS 1 or 2 message sent and not yet fully acknowledged. Owned by the session's event
 * loop. It keeps a user reference on the publish until the exchange completes or the session ends.
 */
final class InflightMessage {

    private final EncodedPublish publish;
    private final Delivery delivery;
    private final SharedGroup origin;
    private final long messageId;
    private boolean released;
    /** The packet identifier it was sent with, set when it enters an {@link InflightWindow}. */
    private int packetId;
    /** The neighbours in the window's send order, maintained by {@link InflightWindow}. */
    InflightMessage previous;
    InflightMessage next;

    InflightMessage(EncodedPublish publish, Delivery delivery, SharedGroup origin, long messageId) {
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

    int qos() {
        return delivery.qos().value();
    }

    SharedGroup origin() {
        return origin;
    }

    /** Returns the packet identifier it was sent with. */
    int packetId() {
        return packetId;
    }

    /** Places the message after {@code predecessor}, or first when that is null, under {@code id}. */
    void link(int id, InflightMessage predecessor) {
        this.packetId = id;
        this.previous = predecessor;
        this.next = null;
    }

    /** Returns the identifier of the message in the session store, or 0 if it is not stored. */
    long messageId() {
        return messageId;
    }

    /** Returns true once PUBREC arrived and PUBREL was sent: only PUBCOMP is awaited. */
    boolean released() {
        return released;
    }

    void markReleased() {
        released = true;
    }
}
