package io.petrel.benchmarks.load;

import io.netty.buffer.ByteBuf;

/**
 * Layout of the load driver's payloads, big-endian: a marker, the publisher id, the sequence number
 * within that publisher, the send time in {@link System#nanoTime()} time and a flag byte; zero bytes
 * pad it to the requested size. Publishers and subscribers live in one process, so the send time and
 * the receive time come from the same clock.
 */
final class Payloads {

    /** Smallest payload that has room for every field. */
    static final int MIN_BYTES = 4 + 4 + 8 + 8 + 1;

    static final byte FLAG_MEASURED = 1;

    private static final int MARKER = 0x504C_4431; // "PLD1"
    private static final int PUBLISHER_OFFSET = 4;
    private static final int SEQUENCE_OFFSET = 8;
    private static final int SENT_AT_OFFSET = 16;
    private static final int FLAGS_OFFSET = 24;

    private Payloads() {
    }

    /** Appends a payload of {@code size} bytes, at least {@link #MIN_BYTES}. */
    static void write(ByteBuf out, int size, int publisherId, long sequence, long sentAtNanos, byte flags) {
        out.writeInt(MARKER).writeInt(publisherId).writeLong(sequence).writeLong(sentAtNanos).writeByte(flags);
        out.writeZero(size - MIN_BYTES);
    }

    /** Returns true if {@code payload} has the driver's layout. */
    static boolean isDriverPayload(ByteBuf payload) {
        return payload.readableBytes() >= MIN_BYTES && payload.getInt(payload.readerIndex()) == MARKER;
    }

    static int publisherId(ByteBuf payload) {
        return payload.getInt(payload.readerIndex() + PUBLISHER_OFFSET);
    }

    static long sequence(ByteBuf payload) {
        return payload.getLong(payload.readerIndex() + SEQUENCE_OFFSET);
    }

    static long sentAtNanos(ByteBuf payload) {
        return payload.getLong(payload.readerIndex() + SENT_AT_OFFSET);
    }

    static boolean measured(ByteBuf payload) {
        return (payload.getByte(payload.readerIndex() + FLAGS_OFFSET) & FLAG_MEASURED) != 0;
    }
}
