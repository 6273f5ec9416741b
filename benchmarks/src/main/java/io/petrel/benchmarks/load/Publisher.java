package io.petrel.benchmarks.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends the messages of one publisher connection in phases (warm-up, then measured), each a fixed
 * number of messages, either as fast as allowed or at a fixed rate. Sending pauses while
 * <ul>
 *   <li>the channel is not writable,</li>
 *   <li>at QoS 1, {@code maxInflight} messages await their PUBACK,</li>
 *   <li>{@code window} messages (times the subscribers per message) are sent but not yet delivered,
 *       so that a fast publisher measures the broker's sustained rate instead of filling its
 *       queues.</li>
 * </ul>
 * At a fixed rate each payload carries its scheduled send time rather than the actual one, so a
 * publisher held back by the broker shows that wait as latency.
 *
 * <p>Threads: {@link #pump} and the phase state run on the connection's event loop. Subscribers on
 * any event loop call {@link #deliveryReceived}; the main thread calls {@link #startPhase},
 * {@link #stop} and the accessors.
 */
final class Publisher implements ConnectionListener {

    private static final int MAX_BATCH_BYTES = 64 * 1024;
    private static final int MAX_MESSAGES_PER_PUMP = 512;
    private static final int MAX_PACKET_ID = 0xFFFF;

    private final int id;
    private final byte[] topic;
    private final int qos;
    private final boolean retain;
    private final int payloadBytes;
    private final int packetBytes;
    private final long window;
    private final int subscribersPerMessage;
    private final int maxInflight;

    private final AtomicLong deliveries = new AtomicLong();
    private final AtomicBoolean awaitingDeliveries = new AtomicBoolean();
    private volatile long sent;
    private volatile long acknowledged;
    private volatile long phaseFirst;
    private volatile long phaseEnd;
    /**
     * Deliveries counted when the current phase started. The window counts from here, so that
     * messages of an earlier phase that the broker dropped do not hold it shut.
     */
    private volatile long phaseDeliveryBase;
    private volatile long measuredFirst = -1;
    /** When the next message at the fixed rate is due; valid once {@code scheduled} is true. */
    private volatile long nextScheduledNanos;
    private volatile boolean scheduled;
    private volatile boolean stopped;
    private volatile ClientConnection connection;

    // Owned by the event loop.
    private long phaseStartNanos;
    private long intervalNanos;
    private byte flags;
    private final boolean[] packetIdInUse = new boolean[MAX_PACKET_ID + 1];
    private int nextPacketId = 1;
    private int inflight;
    private boolean awaitingAcks;
    private boolean timerPending;
    private long unexpectedAcks;

    /**
     * Creates a publisher.
     *
     * @param window                messages sent and not yet delivered before sending pauses; 0 for no limit
     * @param subscribersPerMessage deliveries each message makes, for the window
     */
    Publisher(int id, String topic, int qos, boolean retain, int payloadBytes, long window, int subscribersPerMessage,
              int maxInflight) {
        this.id = id;
        this.topic = topic.getBytes(StandardCharsets.UTF_8);
        this.qos = qos;
        this.retain = retain;
        this.payloadBytes = payloadBytes;
        this.packetBytes = Packets.publishSize(this.topic, qos, payloadBytes);
        this.window = window;
        this.subscribersPerMessage = subscribersPerMessage;
        this.maxInflight = maxInflight;
    }

    int id() {
        return id;
    }

    /** Attaches the connection, once it is connected and before the first phase. */
    void attach(ClientConnection connection) {
        this.connection = connection;
    }

    ClientConnection connection() {
        return connection;
    }

    /** Returns the number of messages sent so far, which is also the next sequence number. */
    long sent() {
        return sent;
    }

    /** Returns the number of QoS 1 messages the broker acknowledged. */
    long acknowledged() {
        return acknowledged;
    }

    /** Returns the deliveries of this publisher's messages counted by subscribers, duplicates included. */
    long deliveries() {
        return deliveries.get();
    }

    /** Returns true when every message of the current phase is sent. */
    boolean phaseSent() {
        return sent >= phaseEnd;
    }

    /** Returns the sequence number of the first message of the current phase. */
    long phaseFirst() {
        return phaseFirst;
    }

    /** Returns the sequence number of the first measured message, or -1 before the measured phase. */
    long measuredFirst() {
        return measuredFirst;
    }

    /**
     * Returns true if, at {@code nowNanos}, the publisher is idle only because its next message at
     * the fixed rate is not yet due.
     */
    boolean waitingForSchedule(long nowNanos) {
        return scheduled && nextScheduledNanos - nowNanos > 0;
    }

    /**
     * Starts a phase of {@code count} messages at {@code ratePerSecond} (0 for as fast as allowed).
     * Measured messages carry {@link Payloads#FLAG_MEASURED}. The returned future completes once the
     * event loop has switched to the new phase, so that {@link #phaseSent} refers to it.
     */
    Future<?> startPhase(long count, double ratePerSecond, boolean measured) {
        EventLoop loop = connection.channel().eventLoop();
        return loop.submit(() -> {
            phaseDeliveryBase = deliveries.get();
            phaseFirst = sent;
            phaseEnd = sent + count;
            if (measured) {
                measuredFirst = sent;
            }
            phaseStartNanos = System.nanoTime();
            intervalNanos = ratePerSecond > 0 ? Math.max(1, Math.round(1e9 / ratePerSecond)) : 0;
            flags = measured ? Payloads.FLAG_MEASURED : 0;
            pump();
        });
    }

    /** Stops sending; messages already written stay in flight. */
    void stop() {
        stopped = true;
    }

    /** Records one delivery of this publisher's messages; resumes sending if it waits for deliveries. */
    void deliveryReceived() {
        long delivered = deliveries.incrementAndGet();
        if (awaitingDeliveries.get()
                && undelivered(sent, delivered) <= window * subscribersPerMessage / 2
                && awaitingDeliveries.compareAndSet(true, false)) {
            connection.channel().eventLoop().execute(this::pump);
        }
    }

    @Override
    public void pubAckReceived(int packetId) {
        if (packetId < 1 || !packetIdInUse[packetId]) {
            unexpectedAcks++;
            return;
        }
        packetIdInUse[packetId] = false;
        inflight--;
        acknowledged = acknowledged + 1; // single writer: the event loop
        if (awaitingAcks && inflight <= maxInflight / 2) {
            awaitingAcks = false;
            connection.channel().eventLoop().execute(this::pump);
        }
    }

    @Override
    public void writabilityChanged(boolean writable) {
        if (writable) {
            pump();
        }
    }

    /** Returns PUBACKs for packet identifiers that were not in flight. Event loop only. */
    long unexpectedAcks() {
        return unexpectedAcks;
    }

    /** Sends what the limits allow and arranges to be called again when one of them lifts. */
    private void pump() {
        Channel channel = connection.channel();
        if (stopped || !channel.isActive()) {
            return;
        }
        long next = sent;
        long end = phaseEnd;
        ByteBuf batch = null;
        long now = System.nanoTime();
        int sentNow = 0;
        while (next < end) {
            if (sentNow == MAX_MESSAGES_PER_PUMP) {
                channel.eventLoop().execute(this::pump); // let the loop serve reads before going on
                break;
            }
            if (!channel.isWritable()) {
                break; // writabilityChanged resumes
            }
            if (qos > 0 && inflight >= maxInflight) {
                awaitingAcks = true;
                break;
            }
            if (window > 0 && windowFull(next)) {
                awaitingDeliveries.set(true);
                if (windowFull(next)) {
                    break; // deliveryReceived resumes
                }
                awaitingDeliveries.set(false);
            }
            long sentAt = now;
            if (intervalNanos > 0) {
                long due = phaseStartNanos + (next - phaseFirst) * intervalNanos;
                if (due - now > 0) {
                    now = System.nanoTime();
                    if (due - now > 0) {
                        nextScheduledNanos = due;
                        scheduled = true;
                        scheduleAt(due - now);
                        break;
                    }
                }
                sentAt = due;
            }
            if (batch == null || batch.writableBytes() < packetBytes) {
                if (batch != null) {
                    channel.write(batch, channel.voidPromise());
                }
                long left = Math.min(end - next, MAX_MESSAGES_PER_PUMP);
                batch = channel.alloc().buffer((int) Math.max(packetBytes, Math.min(MAX_BATCH_BYTES, left * packetBytes)));
            }
            int packetId = qos > 0 ? takePacketId() : 0;
            Packets.publishHeader(batch, topic, qos, retain, packetId, payloadBytes);
            Payloads.write(batch, payloadBytes, id, next, sentAt, flags);
            next++;
            sentNow++;
        }
        sent = next;
        if (batch != null) {
            channel.writeAndFlush(batch, channel.voidPromise());
        }
    }

    private boolean windowFull(long next) {
        return undelivered(next, deliveries.get()) >= window * subscribersPerMessage;
    }

    /**
     * Returns the deliveries still due for the current phase's messages before {@code next}, given
     * {@code delivered} deliveries in all. Late deliveries of an earlier phase count toward this phase.
     */
    private long undelivered(long next, long delivered) {
        return (next - phaseFirst) * subscribersPerMessage - (delivered - phaseDeliveryBase);
    }

    private void scheduleAt(long delayNanos) {
        if (timerPending) {
            return;
        }
        timerPending = true;
        connection.channel().eventLoop().schedule(() -> {
            timerPending = false;
            pump();
        }, delayNanos, TimeUnit.NANOSECONDS);
    }

    private int takePacketId() {
        while (packetIdInUse[nextPacketId]) {
            nextPacketId = nextPacketId == MAX_PACKET_ID ? 1 : nextPacketId + 1;
        }
        int packetId = nextPacketId;
        packetIdInUse[packetId] = true;
        inflight++;
        nextPacketId = nextPacketId == MAX_PACKET_ID ? 1 : nextPacketId + 1;
        return packetId;
    }
}
