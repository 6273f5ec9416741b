package io.petrel.broker.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Receive-buffer sizing for one connection, which is both the channel's allocator and its only
 * handle, so that the size guess costs one object of 48 bytes instead of Netty's three (112 bytes).
 * Each connection needs its own guess, because a guess shared with subscribers' small reads shrank
 * a publisher's buffers.
 *
 * <p>The policy is that of Netty 4.2's {@code new AdaptiveRecvByteBufAllocator()}. The guess starts
 * at 2,048 bytes and stays between 64 and 65,536. It grows by four steps of {@link #SIZES} when one
 * read fills its buffer or a read loop reads at least the guess. It shrinks by one step at the second
 * read loop that would have fitted the next smaller size, counting from the last shrink or the last
 * read or loop that reached the guess.
 *
 * <p>A read loop continues while auto-read is on, the loop has read some bytes, fewer than
 * {@link #maxMessagesPerRead()} reads were made, and the last read filled its buffer (or the
 * caller's more-data supplier returns true).
 *
 * <p>Threads: created on the acceptor thread and then used by the channel's I/O event loop only.
 * Registration hands it over through the event loop's task queue, so the sizing state needs no
 * volatile. Only {@code maxMessagesPerRead} is volatile, because
 * {@link ChannelConfig#setMaxMessagesPerRead} may be called from any thread.
 */
final class ReceiveBufferSizing implements MaxMessagesRecvByteBufAllocator, RecvByteBufAllocator.ExtendedHandle {

    /** The size steps in bytes, of which the guess uses 64 and above: 16-byte steps below 512, then doubling. */
    private static final int[] SIZES = IntStream.concat(
            IntStream.iterate(16, size -> size < 512, size -> size + 16),
            IntStream.iterate(512, size -> size <= 65_536, size -> size << 1)).toArray();
    private static final int MIN_INDEX = Arrays.binarySearch(SIZES, 64);
    private static final int INITIAL_INDEX = Arrays.binarySearch(SIZES, 2_048);
    private static final int MAX_INDEX = SIZES.length - 1;
    /** Steps of {@link #SIZES} that the guess grows by at once. */
    private static final int GROW_STEPS = 4;

    private volatile int maxMessagesPerRead;

    private ChannelConfig config;
    /** {@link #maxMessagesPerRead} as it was when the current read loop started. */
    private int loopMaxMessages;
    private int loopMessages;
    private int loopBytes;
    private int attemptedBytesRead;
    private int lastBytesRead;
    private int sizeIndex = INITIAL_INDEX;
    /** Whether a read loop since the last shrink or growth would have fitted the next smaller size. */
    private boolean shrinkPending;

    /**
     * Creates the sizing of one channel, which reads at most {@code maxMessagesPerRead} times per
     * read loop.
     *
     * @throws IllegalArgumentException if {@code maxMessagesPerRead} is not positive
     */
    ReceiveBufferSizing(int maxMessagesPerRead) {
        maxMessagesPerRead(maxMessagesPerRead);
    }

    /** Returns this object, because the sizing state belongs to one channel. */
    @Override
    @SuppressWarnings("deprecation")
    public Handle newHandle() {
        return this;
    }

    @Override
    public int maxMessagesPerRead() {
        return maxMessagesPerRead;
    }

    /**
     * Sets the maximum number of reads per read loop, from the next read loop on.
     *
     * @throws IllegalArgumentException if {@code maxMessagesPerRead} is not positive
     */
    @Override
    public ReceiveBufferSizing maxMessagesPerRead(int maxMessagesPerRead) {
        if (maxMessagesPerRead <= 0) {
            throw new IllegalArgumentException("invalid maxMessagesPerRead " + maxMessagesPerRead
                    + ": expected 1 or more");
        }
        this.maxMessagesPerRead = maxMessagesPerRead;
        return this;
    }

    /** Starts a read loop: clears its counters and takes the current {@link #maxMessagesPerRead()}. */
    @Override
    public void reset(ChannelConfig config) {
        this.config = config;
        loopMaxMessages = maxMessagesPerRead;
        loopMessages = 0;
        loopBytes = 0;
    }

    @Override
    public ByteBuf allocate(ByteBufAllocator alloc) {
        return alloc.ioBuffer(guess());
    }

    @Override
    public int guess() {
        return SIZES[sizeIndex];
    }

    @Override
    public void incMessagesRead(int numMessages) {
        loopMessages += numMessages;
    }

    @Override
    public void attemptedBytesRead(int bytes) {
        attemptedBytesRead = bytes;
    }

    @Override
    public int attemptedBytesRead() {
        return attemptedBytesRead;
    }

    /** Records one read's result, which is negative when the read failed or reached the end of input. */
    @Override
    public void lastBytesRead(int bytes) {
        // A read that filled its buffer adjusts the guess at once, so that a large transfer reaches
        // large buffers within this read loop instead of the next.
        if (bytes == attemptedBytesRead) {
            adjustGuess(bytes);
        }
        lastBytesRead = bytes;
        if (bytes > 0) {
            loopBytes += bytes;
        }
    }

    @Override
    public int lastBytesRead() {
        return lastBytesRead;
    }

    @Override
    public boolean continueReading() {
        return config.isAutoRead() && attemptedBytesRead == lastBytesRead && loopLimitsAllowRead();
    }

    @Override
    public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
        return config.isAutoRead() && maybeMoreDataSupplier.get() && loopLimitsAllowRead();
    }

    /** Returns whether the loop has reads left and has read some bytes, which is false after an int overflow. */
    private boolean loopLimitsAllowRead() {
        return loopMessages < loopMaxMessages && loopBytes > 0;
    }

    /** Ends a read loop and adjusts the guess to the bytes the whole loop read. */
    @Override
    public void readComplete() {
        adjustGuess(loopBytes < 0 ? Integer.MAX_VALUE : loopBytes);
    }

    private void adjustGuess(int bytes) {
        if (bytes <= SIZES[sizeIndex - 1]) {
            if (shrinkPending) {
                sizeIndex = Math.max(sizeIndex - 1, MIN_INDEX);
                shrinkPending = false;
            } else {
                shrinkPending = true;
            }
        } else if (bytes >= SIZES[sizeIndex]) {
            sizeIndex = Math.min(sizeIndex + GROW_STEPS, MAX_INDEX);
            shrinkPending = false;
        }
    }
}
