package io.petrel.broker.transport;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * Netty's adaptive receive-buffer sizing with one sizing handle per event-loop thread instead of one
 * per connection, which saves 96 bytes per connection (the handle and its size calculator).
 *
 * <p>A handle holds the state of one read loop: the counters that {@code reset} clears when a
 * channel starts reading, and the next buffer size guess. Netty's epoll and NIO transports ask for
 * a channel's handle, and use it, only on the channel's event loop, and an event loop runs one
 * channel's read loop at a time. So the channels of one event loop can take turns with one handle.
 * The size guess is then shared too: it follows the recent reads of all connections of the loop,
 * which for MQTT traffic stays close to the guess each connection would make alone.
 *
 * <p>Threads: {@link #newHandle()} must be called on the event loop of the channel that uses the
 * handle, as Netty's transports do.
 */
final class PerLoopReceiveSizing implements MaxMessagesRecvByteBufAllocator {

    private final AdaptiveRecvByteBufAllocator policy = new AdaptiveRecvByteBufAllocator();
    private final FastThreadLocal<RecvByteBufAllocator.Handle> handles = new FastThreadLocal<>() {
        @Override
        protected RecvByteBufAllocator.Handle initialValue() {
            return policy.newHandle();
        }
    };

    /** Returns the handle of the calling event-loop thread. */
    @Override
    public Handle newHandle() {
        return handles.get();
    }

    @Override
    public int maxMessagesPerRead() {
        return policy.maxMessagesPerRead();
    }

    @Override
    public MaxMessagesRecvByteBufAllocator maxMessagesPerRead(int maxMessagesPerRead) {
        policy.maxMessagesPerRead(maxMessagesPerRead);
        return this;
    }
}
