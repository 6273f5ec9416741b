package io.petrel.broker.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.netty.channel.ChannelOption;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.petrel.broker.protocol.MqttConnectionHandler;
import io.petrel.broker.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

class ConnectionAcceptorTest {

    @RegisterExtension
    final LogCapture log = LogCapture.of(ConnectionAcceptor.class, Level.WARN);

    private final EventLoops loops = new EventLoops(1);
    // The handler's context is read only once the channel is registered, which these tests never reach.
    private final EmbeddedChannel listening = new EmbeddedChannel(new ConnectionAcceptor(null, loops.workers()));

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
    void acceptedChannelsGetOwnReceiveBufferSizing() {
        EmbeddedChannel first = unregisteredChannel();
        EmbeddedChannel second = unregisteredChannel();

        listening.writeInbound(first);
        listening.writeInbound(second);

        RecvByteBufAllocator firstSizing = first.config().getRecvByteBufAllocator();
        assertInstanceOf(ReceiveBufferSizing.class, firstSizing);
        assertInstanceOf(ReceiveBufferSizing.class, second.config().getRecvByteBufAllocator());
        assertNotSame(firstSizing, second.config().getRecvByteBufAllocator());
    }

    @Test
    @SuppressWarnings("deprecation")
    void acceptedChannelReadsOncePerLoop() {
        // The channel metadata's default is 16, so a sizing that took the default would fail here.
        EmbeddedChannel accepted = unregisteredChannel();

        listening.writeInbound(accepted);

        assertEquals(1, accepted.config().getMaxMessagesPerRead());
        assertEquals(1, accepted.config().getOption(ChannelOption.MAX_MESSAGES_PER_READ));
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

    @Test
    void failedAcceptLogsReasonWithoutStackTrace() {
        listening.pipeline().fireExceptionCaught(new IOException("Too many open files"));

        ILoggingEvent event = log.events().get(0);
        assertEquals(Level.WARN, event.getLevel());
        assertTrue(event.getFormattedMessage().contains("failed: Too many open files"), event.getFormattedMessage());
        assertNull(event.getThrowableProxy(), "stack trace");
    }

    @Test
    void unexpectedAcceptFailureLogsStackTrace() {
        listening.pipeline().fireExceptionCaught(new IllegalStateException("broken"));

        assertNotNull(log.events().get(0).getThrowableProxy(), "stack trace");
    }

    private static EmbeddedChannel unregisteredChannel() {
        return new EmbeddedChannel(false, false);
    }
}
