package io.petrel.broker.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.petrel.broker.protocol.MqttConnectionHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

class ConnectionAcceptorTest {

    private final EventLoops loops = new EventLoops(1);
    private final AdaptiveRecvByteBufAllocator sizing = new AdaptiveRecvByteBufAllocator();
    // The handler's context is read only once the channel is registered, which these tests never reach.
    private final EmbeddedChannel listening = new EmbeddedChannel(new ConnectionAcceptor(null, loops.workers(), sizing));

    @AfterEach
    void closeLoops() {
        listening.finishAndReleaseAll();
        loops.close();
    }

    @Test
    void acceptedChannelGetsConnectionHandler() {
        EmbeddedChannel accepted = unregisteredChannel();

        listening.writeInbound(accepted);

        assertTrue(accepted.pipeline().get("mqtt") instanceof MqttConnectionHandler);
    }

    @Test
    void acceptedChannelGetsSharedReceiveBufferSizing() {
        EmbeddedChannel accepted = unregisteredChannel();

        listening.writeInbound(accepted);

        assertSame(sizing, accepted.config().getRecvByteBufAllocator());
    }

    @Test
    void channelThatCannotRegisterIsClosed() {
        // An embedded channel is incompatible with the I/O event loops, so its registration fails.
        EmbeddedChannel accepted = unregisteredChannel();

        listening.writeInbound(accepted);

        await().atMost(Duration.ofSeconds(5)).until(() -> !accepted.isOpen());
    }

    @Test
    void failedAcceptPausesAcceptingForOneSecond() {
        listening.freezeTime();
        listening.pipeline().fireExceptionCaught(new IOException("Too many open files"));

        assertFalse(listening.config().isAutoRead());
        listening.advanceTimeBy(999, TimeUnit.MILLISECONDS);
        listening.runScheduledPendingTasks();
        assertFalse(listening.config().isAutoRead());
        listening.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        listening.runScheduledPendingTasks();
        assertTrue(listening.config().isAutoRead());
    }

    private static EmbeddedChannel unregisteredChannel() {
        return new EmbeddedChannel(false, false);
    }
}
