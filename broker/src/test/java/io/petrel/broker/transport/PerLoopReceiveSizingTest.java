package io.petrel.broker.transport;

import io.netty.channel.RecvByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

class PerLoopReceiveSizingTest {

    @Test
    void sameThreadSharesHandle() {
        PerLoopReceiveSizing sizing = new PerLoopReceiveSizing();

        assertSame(sizing.newHandle(), sizing.newHandle());
    }

    @Test
    void otherThreadGetsOwnHandle() throws Exception {
        PerLoopReceiveSizing sizing = new PerLoopReceiveSizing();
        RecvByteBufAllocator.Handle callerHandle = sizing.newHandle();

        CompletableFuture<RecvByteBufAllocator.Handle> otherHandle = new CompletableFuture<>();
        Thread other = new Thread(() -> otherHandle.complete(sizing.newHandle()));
        other.start();

        assertNotSame(callerHandle, otherHandle.get(10, TimeUnit.SECONDS));
    }

    @Test
    void handleSupportsEpollReadLoop() {
        // The epoll transport wraps the handle and requires the extended interface.
        assertInstanceOf(RecvByteBufAllocator.ExtendedHandle.class, new PerLoopReceiveSizing().newHandle());
    }

    @Test
    void maxMessagesPerReadReachesPolicy() {
        PerLoopReceiveSizing sizing = new PerLoopReceiveSizing();

        sizing.maxMessagesPerRead(4);

        assertEquals(4, sizing.maxMessagesPerRead());
    }
}
