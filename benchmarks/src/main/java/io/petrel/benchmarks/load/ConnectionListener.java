package io.petrel.benchmarks.load;

import io.netty.buffer.ByteBuf;

/**
 * Receives the events of one {@link ClientConnection}. Every method runs on the connection's event
 * loop and must not block.
 */
interface ConnectionListener {

    /** A listener that ignores every event, for idle connections. */
    ConnectionListener IGNORE = new ConnectionListener() {
    };

    /**
     * Handles the payload of a received PUBLISH; the buffer is valid only during the call. The
     * connection acknowledges a QoS 1 PUBLISH itself.
     */
    default void publishReceived(ByteBuf payload, long receivedAtNanos) {
    }

    /** Handles the PUBACK of a QoS 1 PUBLISH this connection sent. */
    default void pubAckReceived(int packetId) {
    }

    /** Handles a change of the channel's writability, so a paused publisher can resume. */
    default void writabilityChanged(boolean writable) {
    }
}
