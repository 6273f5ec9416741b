package io.petrel.broker.session;

import io.petrel.api.Message;

/**
 * An outbound QoS 1 or 2 message sent and not yet fully acknowledged. Owned by the session's event loop.
 */
final class InflightMessage {

    private final Message message;
    private final int qos;
    private final boolean retain;
    private boolean released;

    InflightMessage(Message message, int qos, boolean retain) {
        this.message = message;
        this.qos = qos;
        this.retain = retain;
    }

    Message message() {
        return message;
    }

    int qos() {
        return qos;
    }

    boolean retain() {
        return retain;
    }

    /** Returns true once PUBREC arrived and PUBREL was sent: only PUBCOMP is awaited. */
    boolean released() {
        return released;
    }

    void markReleased() {
        released = true;
    }
}
