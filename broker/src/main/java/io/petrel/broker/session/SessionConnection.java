package io.petrel.broker.session;

import io.netty.util.concurrent.EventExecutor;
import io.petrel.api.hook.ClientInfo;
import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.routing.Delivery;

import java.util.concurrent.CompletableFuture;

/**
 * The network connection a {@link Session} is attached to, from the session's side. Every method except
 * {@link #executor()} and {@link #takeOver()} must be called on the connection's event loop.
 */
public interface SessionConnection {

    /** Returns the event loop that owns the connection and, while attached, the session. */
    EventExecutor executor();

    /** Returns the client of this connection, as hooks see it. */
    ClientInfo clientInfo();

    /**
     * Returns true until the connection is closed or being closed. Callable from any thread; the
     * result may be a moment old.
     */
    boolean isOpen();

    /** Returns false while the socket's outbound buffer is above its high-water mark. */
    boolean isWritable();

    /**
     * Returns true if the PUBLISH fits the client's Maximum Packet Size; a message that does not fit
     * is never sent to this client.
     */
    boolean fits(EncodedPublish publish, Delivery delivery);

    /** Writes a PUBLISH without flushing; {@code dup} is set when it is sent again. */
    void writePublish(EncodedPublish publish, Delivery delivery, int packetId, boolean dup);

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
