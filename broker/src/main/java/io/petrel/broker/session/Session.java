package io.petrel.broker.session;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.hook.ClientInfo;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.observability.BrokerMetrics.DropReason;
import io.petrel.broker.observability.RateLimitedLogger;
import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.routing.Delivery;
import io.petrel.broker.routing.DeliveryGate;
import io.petrel.broker.routing.Grant;
import io.petrel.broker.routing.SharedGroup;
import io.petrel.broker.routing.SharedMember;
import org.agrona.collections.IntHashSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The state of one MQTT client across its connections: subscriptions, the outbound queue, the
 * in-flight window, packet identifiers and the inbound QoS 2 identifiers not yet released.
 *
 * <p>Threads: {@link #deliver} is called by publishers on any thread and only appends to a lock-free
 * inbox. Everything else (the pending queue, the in-flight window, packet identifiers, inbound QoS 2
 * state) belongs to the event loop of the attached connection. While no connection is attached, that
 * state is touched only under the {@link SessionRegistry} lock, which also orders the hand-over from
 * one connection's event loop to the next.
 *
 * <p>While the session store has a record of the session ({@link #stored()}), its QoS 1 and 2
 * messages and incoming QoS 2 packet identifiers are written to the store through the
 * {@link SessionJournal}, under {@link #storeLock()}. Each stored message gets the next message
 * identifier, and its record is handed to the store before it enters the inbox. After a restart the
 * identifiers continue above the highest one the store returned.
 */
public final class Session implements SharedMember {

    /** Session expiry interval meaning "never expires" (MQTT 5.0: 0xFFFFFFFF). */
    public static final long NEVER_EXPIRES = 0xFFFF_FFFFL;

    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    private static final RateLimitedLogger DROP_LOG = new RateLimitedLogger(LOG, 10, TimeUnit.SECONDS);
    private static final int MAX_WRITES_PER_DRAIN = 512;
    private final String clientId;
    private final int maxQueued;
    private final BrokerMetrics metrics;
    private final SessionJournal journal;
    private final Object storeLock = new Object();
    private final Queue<QueuedPublish> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Map<String, Grant> subscriptions = new ConcurrentHashMap<>();
    private final Runnable drainTask = this::drain;

    private volatile SessionConnection connection;
    private volatile ClientInfo client;
    private volatile boolean ended;
    private volatile long expiryIntervalSeconds;
    private volatile boolean stored;

    private final ArrayDeque<QueuedPublish> pending = new ArrayDeque<>();
    private final LinkedHashMap<Integer, InflightMessage> inflight = new LinkedHashMap<>();
    private final IntHashSet inboundQos2 = new IntHashSet();
    private Message pendingWill;
    private long lastMessageId;
    private int nextPacketId = 1;
    private int inflightLimit = 1;
    private long generation;

    Session(String clientId, int maxQueued, BrokerMetrics metrics, SessionJournal journal) {
        this.clientId = clientId;
        this.maxQueued = maxQueued;
        this.metrics = metrics;
        this.journal = journal;
    }

    /** Returns the client identifier. */
    public String clientId() {
        return clientId;
    }

    @Override
    public String name() {
        return clientId;
    }

    /**
     * Returns the client of the connection attached last: the current one while connected, the
     * previous one while offline. Null until the first connection attaches.
     */
    public ClientInfo client() {
        return client;
    }

    /** Returns the session expiry interval in seconds; 0 ends the session when its connection closes. */
    public long expiryIntervalSeconds() {
        return expiryIntervalSeconds;
    }

    /** Sets the session expiry interval, from CONNECT or from an MQTT 5.0 DISCONNECT. */
    public void expiryIntervalSeconds(long seconds) {
        this.expiryIntervalSeconds = seconds;
    }

    /** Returns the filters this session subscribed to, with their grants. */
    public Map<String, Grant> subscriptions() {
        return subscriptions;
    }

    /** Returns the will waiting for its delay interval; accessed under the registry lock. */
    Message pendingWill() {
        return pendingWill;
    }

    void pendingWill(Message will) {
        this.pendingWill = will;
    }

    /**
     * Returns true if the session store has a record of this session. Readable from any thread; it
     * changes only under {@link #storeLock()}.
     */
    boolean stored() {
        return stored;
    }

    void stored(boolean stored) {
        this.stored = stored;
    }

    /** Returns the lock that orders this session's records in the session store. */
    Object storeLock() {
        return storeLock;
    }

    /** Returns true once the session has ended; an ended session accepts no messages. */
    public boolean ended() {
        return ended;
    }

    SessionConnection connection() {
        return connection;
    }

    long generation() {
        return generation;
    }

    /**
     * Queues a message for this client. QoS 0 messages are not kept for a client that is offline. A
     * message beyond the queue bound is dropped and counted.
     */
    @Override
    public void deliver(EncodedPublish publish, Delivery delivery) {
        deliverShared(publish, delivery, null);
    }

    /**
     * Queues a message like {@link #deliver}. A QoS 1 or 2 message for a stored session is handed to
     * the session store first, and the returned stage completes once the store wrote it. The message
     * enters the queue even if that write fails.
     */
    @Override
    public CompletableFuture<Void> deliverShared(EncodedPublish publish, Delivery delivery, SharedGroup group) {
        if (ended || (delivery.qos() == Qos.AT_MOST_ONCE && connection == null)) {
            return DeliveryGate.SETTLED;
        }
        if (queued.incrementAndGet() > maxQueued) {
            queued.decrementAndGet();
            metrics.dropped(DropReason.QUEUE_FULL);
            DROP_LOG.warn("Dropped a QoS {} message on '{}' for client {}: its queue holds the maximum of {}"
                            + " messages (session.max_queued_messages)",
                    delivery.qos().value(), publish.message().topic(), clientId, maxQueued);
            return DeliveryGate.SETTLED;
        }
        publish.retainUser();
        if (stored && delivery.qos() != Qos.AT_MOST_ONCE) {
            return enqueueStored(publish, delivery, group);
        }
        enqueue(new QueuedPublish(publish, delivery, group, 0));
        return DeliveryGate.SETTLED;
    }

    /**
     * Numbers the message, hands its record to the session store and queues it, all under the store
     * lock, so that the store receives the messages of this session in message identifier order and
     * before any later record of them.
     */
    private CompletableFuture<Void> enqueueStored(EncodedPublish publish, Delivery delivery, SharedGroup group) {
        CompletableFuture<Void> written = DeliveryGate.SETTLED;
        QueuedPublish entry;
        synchronized (storeLock) {
            if (stored) {
                long messageId = ++lastMessageId;
                entry = new QueuedPublish(publish, delivery, group, messageId);
                written = journal.messageQueued(this, messageId, publish, delivery);
            } else {
                entry = new QueuedPublish(publish, delivery, group, 0);
            }
            inbox.offer(entry);
        }
        if (ended && inbox.remove(entry)) {
            discard(entry, false);
            return written;
        }
        signal();
        return written;
    }

    private void enqueue(QueuedPublish entry) {
        inbox.offer(entry);
        if (ended && inbox.remove(entry)) {
            discard(entry, false);
            return;
        }
        signal();
    }

    @Override
    public boolean isOnline() {
        return connection != null;
    }

    /** Schedules a drain on the attached connection's event loop, unless one is already scheduled. */
    private void signal() {
        SessionConnection current = connection;
        if (current != null && drainScheduled.compareAndSet(false, true)) {
            try {
                current.executor().execute(drainTask);
            } catch (RejectedExecutionException e) {
                drainScheduled.set(false);
                LOG.debug("Event loop of client {} is shutting down; messages stay queued", clientId);
            }
        }
    }

    /**
     * Writes queued messages while the socket is writable and the in-flight window has room, then
     * flushes once. Runs on the attached connection's event loop.
     */
    public void drain() {
        drainScheduled.set(false);
        SessionConnection current = connection;
        if (current == null || !current.executor().inEventLoop()) {
            return;
        }
        QueuedPublish next;
        while ((next = inbox.poll()) != null) {
            pending.addLast(next);
        }
        int writes = 0;
        long now = System.nanoTime();
        while (!pending.isEmpty() && current.isWritable() && writes < MAX_WRITES_PER_DRAIN) {
            QueuedPublish entry = pending.peekFirst();
            if (entry.qos() > 0 && inflight.size() >= inflightLimit) {
                break;
            }
            pending.pollFirst();
            queued.decrementAndGet();
            EncodedPublish publish = entry.publish();
            if (publish.expired(now)) {
                // MQTT 5.0 message expiry: an expired message is never sent.
                metrics.dropped(DropReason.EXPIRED);
                journal.messageRemoved(this, entry.messageId());
                publish.releaseUser();
                continue;
            }
            if (!current.fits(publish, entry.delivery())) {
                metrics.dropped(DropReason.TOO_LARGE_FOR_CLIENT);
                DROP_LOG.warn("Dropped a message on '{}' for client {}: it exceeds the client's Maximum Packet Size",
                        publish.message().topic(), clientId);
                journal.messageRemoved(this, entry.messageId());
                publish.releaseUser();
                continue;
            }
            int packetId = 0;
            if (entry.qos() > 0) {
                packetId = allocatePacketId();
                // The in-flight entry takes over the queue's user reference.
                inflight.put(packetId, new InflightMessage(publish, entry.delivery(), entry.origin(),
                        entry.messageId()));
                journal.messageSent(this, entry.messageId(), packetId);
            }
            current.writePublish(publish, entry.delivery(), packetId, false);
            if (entry.qos() == 0) {
                publish.releaseUser();
            }
            metrics.deliveredToNetwork();
            writes++;
        }
        if (writes > 0) {
            current.flush();
        }
        if (writes == MAX_WRITES_PER_DRAIN) {
            signal();
        }
    }

    /**
     * Attaches a connection. Runs on the connection's event loop under the registry lock; nothing is
     * written until {@link #resumeDelivery()}.
     */
    void attach(SessionConnection newConnection, int inflightLimit) {
        generation++;
        this.inflightLimit = inflightLimit;
        client = newConnection.clientInfo();
        connection = newConnection;
    }

    /**
     * Sends what the previous connection left unacknowledged (PUBLISH with DUP, or PUBREL), then
     * the queued messages. Call on the connection's event loop after CONNACK was written.
     */
    public void resumeDelivery() {
        SessionConnection current = connection;
        if (current == null) {
            return;
        }
        for (Map.Entry<Integer, InflightMessage> entry : inflight.entrySet()) {
            InflightMessage message = entry.getValue();
            if (message.released()) {
                current.writePubRel(entry.getKey());
            } else {
                current.writePublish(message.publish(), message.delivery(), entry.getKey(), true);
            }
        }
        drain();
        current.flush();
    }

    /** Detaches the connection; queued and in-flight messages stay for the next one. */
    void detach() {
        connection = null;
    }

    /**
     * Ends the session: it accepts nothing more and its queued messages are released. The registry
     * calls this with no connection attached.
     */
    void end() {
        ended = true;
        connection = null;
        QueuedPublish entry;
        while ((entry = inbox.poll()) != null) {
            discard(entry, true);
        }
        while ((entry = pending.pollFirst()) != null) {
            discard(entry, true);
        }
        for (InflightMessage message : inflight.values()) {
            if (message.origin() == null || !message.origin().deliverExcept(message.publish(), message.delivery().qos(), this)) {
                metrics.dropped(DropReason.SESSION_ENDED);
            }
            message.publish().releaseUser();
        }
        inflight.clear();
        inboundQos2.clear();
        subscriptions.clear();
    }

    /**
     * Hands the QoS 1 and 2 messages that came through shared groups, sent or still queued, to other
     * members of their groups. Called when the connection closes, with no connection attached.
     */
    void handOffSharedMessages() {
        inflight.values().removeIf(message -> {
            if (message.origin() == null || !message.origin().deliverExcept(message.publish(), message.delivery().qos(), this)) {
                return false;
            }
            journal.messageRemoved(this, message.messageId());
            message.publish().releaseUser();
            return true;
        });
        pending.removeIf(entry -> {
            if (entry.origin() == null || entry.qos() == 0
                    || !entry.origin().deliverExcept(entry.publish(), entry.delivery().qos(), this)) {
                return false;
            }
            journal.messageRemoved(this, entry.messageId());
            discard(entry, false);
            return true;
        });
    }

    private void discard(QueuedPublish entry, boolean ending) {
        queued.decrementAndGet();
        boolean handedOff = ending && entry.qos() > 0 && entry.origin() != null
                && entry.origin().deliverExcept(entry.publish(), entry.delivery().qos(), this);
        if (ending && entry.qos() > 0 && !handedOff) {
            metrics.dropped(DropReason.SESSION_ENDED);
        }
        entry.publish().releaseUser();
    }

    /** Handles PUBACK; returns false if no QoS 1 message was in flight with that identifier. */
    public boolean onPubAck(int packetId) {
        InflightMessage message = inflight.get(packetId);
        if (message == null || message.qos() != 1) {
            return false;
        }
        inflight.remove(packetId);
        journal.messageRemoved(this, message.messageId());
        message.publish().releaseUser();
        drain();
        return true;
    }

    /** Handles PUBREC; returns false if no QoS 2 message awaited it. The caller replies with PUBREL. */
    public boolean onPubRec(int packetId) {
        InflightMessage message = inflight.get(packetId);
        if (message == null || message.qos() != 2) {
            return false;
        }
        if (!message.released()) {
            message.markReleased();
            journal.messageReleased(this, message.messageId());
        }
        return true;
    }

    /** Handles PUBCOMP; returns false if no PUBREL was outstanding for that identifier. */
    public boolean onPubComp(int packetId) {
        InflightMessage message = inflight.get(packetId);
        if (message == null || !message.released()) {
            return false;
        }
        inflight.remove(packetId);
        journal.messageRemoved(this, message.messageId());
        message.publish().releaseUser();
        drain();
        return true;
    }

    /**
     * Records an inbound QoS 2 packet identifier, so that a resent PUBLISH with it is not routed
     * again, and hands it to the session store if the session is stored.
     *
     * @return a stage that completes once the store wrote the identifier, or fails with a
     *         {@link io.petrel.broker.routing.StoreWriteException}; already complete when nothing is
     *         written
     */
    public CompletableFuture<Void> beginInboundQos2(int packetId) {
        if (!inboundQos2.add(packetId) || !stored) {
            return DeliveryGate.SETTLED;
        }
        synchronized (storeLock) {
            return stored ? journal.inboundQos2Received(this, packetId) : DeliveryGate.SETTLED;
        }
    }

    /** Forgets an inbound QoS 2 identifier on PUBREL; returns false if it was unknown. */
    public boolean completeInboundQos2(int packetId) {
        if (!inboundQos2.remove(packetId)) {
            return false;
        }
        journal.inboundQos2Released(this, packetId);
        return true;
    }

    /** Returns true if an inbound QoS 2 message with this identifier awaits PUBREL. */
    public boolean hasInboundQos2(int packetId) {
        return inboundQos2.contains(packetId);
    }

    /** Returns the number of inbound QoS 2 messages awaiting PUBREL. */
    public int inboundQos2Count() {
        return inboundQos2.size();
    }

    /**
     * Puts a message from the session store back: an unsent one at the end of the queue, a sent one
     * into the in-flight window with its packet identifier. Call in message identifier order, before
     * the broker accepts connections.
     *
     * @param packetId the packet identifier it was sent with, or 0 if it was not sent
     * @param released true if PUBREC arrived for it, so that only PUBREL is sent again
     */
    void restoreMessage(long messageId, EncodedPublish publish, Delivery delivery, int packetId, boolean released) {
        lastMessageId = Math.max(lastMessageId, messageId);
        if (packetId == 0 || inflight.containsKey(packetId)) {
            queued.incrementAndGet();
            pending.addLast(new QueuedPublish(publish, delivery, null, messageId));
            return;
        }
        InflightMessage message = new InflightMessage(publish, delivery, null, messageId);
        if (released) {
            message.markReleased();
        }
        inflight.put(packetId, message);
    }

    /** Puts back an inbound QoS 2 packet identifier from the session store. */
    void restoreInboundQos2(int packetId) {
        inboundQos2.add(packetId);
    }

    private int allocatePacketId() {
        int candidate = nextPacketId;
        while (inflight.containsKey(candidate)) {
            candidate = candidate == 65_535 ? 1 : candidate + 1;
        }
        nextPacketId = candidate == 65_535 ? 1 : candidate + 1;
        return candidate;
    }

    @Override
    public String toString() {
        return "Session{" + clientId + '}';
    }
}
