package io.petrel.broker.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelOption;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.UncheckedBooleanSupplier;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The receive-buffer sizing policy: its size steps, its place in channel configurations, and a
 * comparison with Netty 4.2's {@code AdaptiveRecvByteBufAllocator} over random read loops.
 */
class ReceiveBufferSizingTest {

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final ChannelConfig config = channel.config();

    @AfterEach
    void closeChannel() {
        channel.finishAndReleaseAll();
    }

    @Test
    void newHandleReturnsSizingItself() {
        ReceiveBufferSizing sizing = new ReceiveBufferSizing(16);

        assertSame(sizing, sizing.newHandle());
    }

    @Test
    void epollConfigAcceptsSizing() {
        Assumptions.assumeTrue(Epoll.isAvailable(), "native epoll is not available");

        assertConfigUsesSizing(new EpollSocketChannel());
    }

    @Test
    void nioConfigAcceptsSizing() {
        assertConfigUsesSizing(new NioSocketChannel());
    }

    @SuppressWarnings("deprecation")
    private static void assertConfigUsesSizing(Channel socket) {
        try {
            ReceiveBufferSizing sizing = new ReceiveBufferSizing(socket.metadata().defaultMaxMessagesPerRead());

            socket.config().setRecvByteBufAllocator(sizing);

            assertSame(sizing, socket.config().getRecvByteBufAllocator());
            assertEquals(16, socket.config().getMaxMessagesPerRead());
            socket.config().setOption(ChannelOption.MAX_MESSAGES_PER_READ, 4);
            assertEquals(4, sizing.maxMessagesPerRead());
        } finally {
            socket.unsafe().closeForcibly();
        }
    }

    @Test
    void maxMessagesPerReadRejectsZero() {
        ReceiveBufferSizing sizing = new ReceiveBufferSizing(16);

        assertThrows(IllegalArgumentException.class, () -> sizing.maxMessagesPerRead(0));
        assertThrows(IllegalArgumentException.class, () -> new ReceiveBufferSizing(0));
        assertEquals(16, sizing.maxMessagesPerRead());
    }

    @Test
    void guessStartsAt2048() {
        assertEquals(2_048, new ReceiveBufferSizing(16).guess());
    }

    @Test
    void fullReadGrowsGuessFourSteps() {
        ReceiveBufferSizing sizing = new ReceiveBufferSizing(16);
        sizing.reset(config);
        sizing.attemptedBytesRead(2_048);

        sizing.lastBytesRead(2_048);

        assertEquals(32_768, sizing.guess());
    }

    @Test
    void guessShrinksEverySecondSmallLoop() {
        ReceiveBufferSizing sizing = new ReceiveBufferSizing(16);

        readLoop(sizing, 100);
        assertEquals(2_048, sizing.guess(), "after one small loop");
        readLoop(sizing, 100);
        assertEquals(1_024, sizing.guess(), "after two small loops");
        readLoop(sizing, 100);
        readLoop(sizing, 100);
        assertEquals(512, sizing.guess(), "after four small loops");
        readLoop(sizing, 100);
        readLoop(sizing, 100);
        assertEquals(496, sizing.guess(), "after six small loops");
    }

    @Test
    void guessStaysBetween64And65536() {
        ReceiveBufferSizing sizing = new ReceiveBufferSizing(16);

        for (int i = 0; i < 10; i++) {
            readLoop(sizing, sizing.guess());
        }
        assertEquals(65_536, sizing.guess(), "after full reads");
        for (int i = 0; i < 200; i++) {
            readLoop(sizing, 0);
        }
        assertEquals(64, sizing.guess(), "after empty reads");
    }

    /** Runs one read loop of a single read of {@code bytes} into a buffer of the guessed size. */
    private void readLoop(ReceiveBufferSizing sizing, int bytes) {
        sizing.reset(config);
        sizing.attemptedBytesRead(sizing.guess());
        sizing.lastBytesRead(bytes);
        sizing.incMessagesRead(1);
        sizing.readComplete();
    }

    /**
     * Kinds of traffic in a run of read loops. HUGE reads into buffers of 1.5 GB, so that two full
     * reads overflow the int total of a read loop.
     */
    private enum Traffic { BULK, SMALL, MIXED, IDLE, HUGE }

    @Test
    void agreesWithNettyOnRandomReadLoops() {
        long seed = 20_261_205L;
        Random random = new Random(seed);
        ReceiveBufferSizing ours = new ReceiveBufferSizing(16);
        AdaptiveRecvByteBufAllocator nettyAllocator = new AdaptiveRecvByteBufAllocator();
        nettyAllocator.maxMessagesPerRead(16);
        RecvByteBufAllocator.ExtendedHandle netty = (RecvByteBufAllocator.ExtendedHandle) nettyAllocator.newHandle();
        CountingSupplier ourSupplier = new CountingSupplier();
        CountingSupplier nettySupplier = new CountingSupplier();
        int[] sizesSeen = new int[65_537];
        int overflowedLoops = 0;

        Traffic traffic = Traffic.BULK;
        int loopsLeftInRun = 0;
        for (int loop = 0; loop < 50_000; loop++) {
            if (loopsLeftInRun == 0) {
                traffic = Traffic.values()[random.nextInt(Traffic.values().length)];
                loopsLeftInRun = 1 + random.nextInt(300);
            }
            loopsLeftInRun--;
            if (random.nextInt(50) == 0) {
                int maxMessages = 1 + random.nextInt(32);
                ours.maxMessagesPerRead(maxMessages);
                nettyAllocator.maxMessagesPerRead(maxMessages);
            }
            if (random.nextInt(30) == 0) {
                config.setAutoRead(!config.isAutoRead());
            }

            ours.reset(config);
            netty.reset(config);
            long loopTotal = 0;
            for (int read = 0; read < 64; read++) {
                Supplier<String> where = where(seed, loop, read, traffic);
                assertEquals(netty.guess(), ours.guess(), where);
                sizesSeen[ours.guess()]++;
                if (random.nextInt(20) == 0) {
                    assertAllocationsAgree(ours, netty, where);
                }
                if (random.nextInt(100) == 0) {
                    // Takes effect at the next reset only, in both.
                    int maxMessages = 1 + random.nextInt(32);
                    ours.maxMessagesPerRead(maxMessages);
                    nettyAllocator.maxMessagesPerRead(maxMessages);
                }

                int attempted = attemptedBytes(random, traffic, netty.guess());
                ours.attemptedBytesRead(attempted);
                netty.attemptedBytesRead(attempted);
                int bytes = bytesRead(random, traffic, attempted);
                ours.lastBytesRead(bytes);
                netty.lastBytesRead(bytes);
                loopTotal += Math.max(bytes, 0);
                assertEquals(netty.attemptedBytesRead(), ours.attemptedBytesRead(), where);
                assertEquals(netty.lastBytesRead(), ours.lastBytesRead(), where);
                assertEquals(netty.guess(), ours.guess(), where);
                if (bytes <= 0 && random.nextBoolean()) {
                    // The transports stop the loop here without asking.
                    break;
                }
                int messages = random.nextInt(10) == 0 ? random.nextInt(4) : 1;
                ours.incMessagesRead(messages);
                netty.incMessagesRead(messages);

                boolean continues;
                if (random.nextBoolean()) {
                    continues = netty.continueReading();
                    assertEquals(continues, ours.continueReading(), where);
                } else {
                    boolean moreData = random.nextInt(4) != 0;
                    ourSupplier.moreData = moreData;
                    nettySupplier.moreData = moreData;
                    continues = netty.continueReading(nettySupplier);
                    assertEquals(continues, ours.continueReading(ourSupplier), where);
                    assertEquals(nettySupplier.calls, ourSupplier.calls, where);
                }
                if (!continues) {
                    break;
                }
            }
            if (loopTotal > Integer.MAX_VALUE) {
                overflowedLoops++;
            }
            ours.readComplete();
            netty.readComplete();
            assertEquals(netty.guess(), ours.guess(), where(seed, loop, -1, traffic));
        }

        assertTrue(overflowedLoops > 100, "read loops whose total overflowed an int: " + overflowedLoops);
        for (int size : new int[] {64, 496, 512, 2_048, 65_536}) {
            assertTrue(sizesSeen[size] > 0, "the comparison never reached a guess of " + size + " bytes");
        }
    }

    private static Supplier<String> where(long seed, int loop, int read, Traffic traffic) {
        return () -> "seed " + seed + ", read loop " + loop + (read < 0 ? " after readComplete" : ", read " + read)
                + ", " + traffic + " traffic";
    }

    private static void assertAllocationsAgree(ReceiveBufferSizing ours, RecvByteBufAllocator.ExtendedHandle netty,
            Supplier<String> where) {
        ByteBuf ourBuffer = ours.allocate(UnpooledByteBufAllocator.DEFAULT);
        ByteBuf nettyBuffer = netty.allocate(UnpooledByteBufAllocator.DEFAULT);
        try {
            assertEquals(nettyBuffer.capacity(), ourBuffer.capacity(), where);
        } finally {
            ourBuffer.release();
            nettyBuffer.release();
        }
    }

    /** Returns the buffer space of one read: usually the guess, sometimes a larger or smaller buffer. */
    private static int attemptedBytes(Random random, Traffic traffic, int guess) {
        if (traffic == Traffic.HUGE) {
            return 1_500_000_000;
        }
        return switch (random.nextInt(10)) {
            case 0 -> guess + 1 + random.nextInt(4_096);
            case 1 -> 1 + random.nextInt(guess);
            default -> guess;
        };
    }

    /** Returns the result of one read: the bytes read, 0 for no data, or -1 for the end of input. */
    private static int bytesRead(Random random, Traffic traffic, int attempted) {
        return switch (traffic) {
            case BULK, HUGE -> random.nextInt(4) != 0 ? attempted : 1 + random.nextInt(attempted);
            case SMALL -> 1 + random.nextInt(Math.min(attempted, 80));
            case IDLE -> random.nextInt(3) - 1;
            case MIXED -> switch (random.nextInt(6)) {
                case 0 -> attempted;
                case 1 -> 1 + random.nextInt(attempted);
                case 2 -> 1 + random.nextInt(Math.min(attempted, 80));
                case 3 -> 0;
                case 4 -> -1;
                default -> attempted;
            };
        };
    }

    /** A more-data supplier that returns a value set by the test and counts its calls. */
    private static final class CountingSupplier implements UncheckedBooleanSupplier {
        private boolean moreData;
        private int calls;

        @Override
        public boolean get() {
            calls++;
            return moreData;
        }
    }
}
