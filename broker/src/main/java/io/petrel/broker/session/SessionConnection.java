package io.petrel.broker.session;

import io.netty.util.concurrent.EventExecutor;
import io.petrel.api.Message;
import io.petrel.broker.protocol.EncodedPublish;

import java.util.concurrent.CompletableFuture;

/**
 * The network connection a {@link Session} is attached to, as the session sees it. Every method except
 * {@link #executor()} and {@link #takeOver()} must be called on the connection's event loop.
 */
public interface SessionConnection {

    /** Returns the event loop that owns the connection and, while attached, the session. */
    EventExecutor executor();

    /** Returns false while the socket's outbound buffer is above its high-water mark. */
    boolean isWritable();

    /** Writes a first delivery of a PUBLISH without flushing. */
    void writePublish(EncodedPublish publish, int qos, boolean retain, int packetId);

    /** Writes a PUBLISH again, with the DUP flag set, without flushing. */
    void writeResend(Message message, int qos, boolean retain, int packetId);

    /** Writes a PUBREL without flushing. */
    void writePubRel(int packetId);

    /** Flushes what was written. */
    void flush();

    /**
     * Closes the connection because another connection with the same client identifier arrived
     * (MQTT 5.0: DISCONNECT with reason 0x8E). Callable from any thread.
     *
     * @return a future completed once the session is detached from this connection
     */
    CompletableFuture<Void> takeOver();
}
