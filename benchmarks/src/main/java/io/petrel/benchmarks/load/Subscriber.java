package io.petrel.benchmarks.load;

import io.netty.buffer.ByteBuf;
import java.util.BitSet;
import org.HdrHistogram.Histogram;

/**
 * Checks the messages one subscriber connection receives. Per publisher it records which sequence
 * numbers arrived, to count duplicates, reordering and (at the end) losses. It also records the
 * end-to-end latency of measured messages in microseconds into the histogram of its event loop.
 *
 * <p>Threads: {@link #publishReceived} runs on the connection's event loop, which owns the counters;
 * read them with {@link #snapshot} on that loop. The main thread calls {@link #attach} before
 * subscribing and may read {@link #measuredDeliveries} and {@link #lastMeasuredNanos} at any time.
 */
final class Subscriber implements ConnectionListener {

    private final Publisher[] publishers;
    private final Stream[] streams;
    private Histogram latencyMicros;
    private volatile long measuredDeliveries;
    private volatile long lastMeasuredNanos;
    private long duplicates;
    private long reordered;
    private long unexpected;

    /**
     * Creates a subscriber that expects the messages of {@code sources}, given as indexes into
     * {@code publishers}, the publishers of the run indexed by id.
     */
    Subscriber(Publisher[] publishers, int... sources) {
        this.publishers = publishers;
        this.streams = new Stream[publishers.length];
        for (int source : sources) {
            streams[source] = new Stream();
        }
    }

    /**
     * Binds the subscriber to the latency histogram of its connection's event loop. Call it before
     * subscribing, so that the subscribe write orders it before the first message.
     */
    void attach(ClientConnection connection, LatencyRecorders recorders) {
        latencyMicros = recorders.forLoop(connection.channel().eventLoop());
    }

    @Override
    public void publishReceived(ByteBuf payload, long receivedAtNanos) {
        if (!Payloads.isDriverPayload(payload)) {
            unexpected++;
            return;
        }
        int publisherId = Payloads.publisherId(payload);
        long sequence = Payloads.sequence(payload);
        Stream stream = publisherId >= 0 && publisherId < streams.length ? streams[publisherId] : null;
        if (stream == null || sequence < 0 || sequence > Integer.MAX_VALUE) {
            unexpected++;
            return;
        }
        int index = (int) sequence;
        if (stream.seen.get(index)) {
            duplicates++;
        } else {
            stream.seen.set(index);
            if (index < stream.highest) {
                reordered++;
            } else {
                stream.highest = index;
            }
        }
        if (Payloads.measured(payload)) {
            long micros = Math.max(0, (receivedAtNanos - Payloads.sentAtNanos(payload)) / 1000);
            latencyMicros.recordValue(Math.min(micros, LatencyRecorders.MAX_LATENCY_MICROS));
            measuredDeliveries = measuredDeliveries + 1; // single writer: the event loop
            lastMeasuredNanos = receivedAtNanos;
        }
        publishers[publisherId].deliveryReceived();
    }

    /** Returns the deliveries of measured messages so far, duplicates included. */
    long measuredDeliveries() {
        return measuredDeliveries;
    }

    /** Returns when the last measured message arrived, in {@link System#nanoTime()} time, or 0. */
    long lastMeasuredNanos() {
        return lastMeasuredNanos;
    }

    /** Copies the counters; call it on the event loop or after the loop ended. */
    Snapshot snapshot() {
        long lost = 0;
        long measuredLost = 0;
        for (int publisherId = 0; publisherId < streams.length; publisherId++) {
            Stream stream = streams[publisherId];
            if (stream != null) {
                Publisher publisher = publishers[publisherId];
                long sent = publisher.sent();
                lost += sent - stream.seen.cardinality();
                long measuredFirst = publisher.measuredFirst();
                if (measuredFirst >= 0 && sent > measuredFirst) {
                    measuredLost += sent - measuredFirst
                            - stream.seen.get((int) measuredFirst, (int) sent).cardinality();
                }
            }
        }
        return new Snapshot(measuredDeliveries, lost, measuredLost, duplicates, reordered, unexpected);
    }

    /**
     * Counters of one subscriber at one moment.
     *
     * @param lost         messages of all phases sent and not received
     * @param measuredLost measured messages sent and not received
     */
    record Snapshot(long measuredDeliveries, long lost, long measuredLost, long duplicates, long reordered,
                    long unexpected) {
    }

    /** The sequence numbers received from one publisher. */
    private static final class Stream {
        final BitSet seen = new BitSet();
        int highest = -1;
    }
}
