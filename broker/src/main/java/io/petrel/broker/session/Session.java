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
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * The state of one MQTT client across its connections: subscriptions, the outbound queue, the
 * in-flight window, packet identifiers and the inbound QoS 2 identifiers not yet released.
 *
 * <p>Threads: {@link #deliver} is called by publishers on any thread and only pushes onto a lock-free
 * inbox: a stack of entries linked through {@link QueuedPublish#next}, which the consumer takes out
 * whole with one atomic swap and reverses into arrival order. Everything else (the pending queue,
 * the in-flight window, packet identifiers, inbound QoS 2 state) belongs to the event loop of the
 * attached connection, and is allocated when first needed, so that an idle session allocates no
 * empty collections. While no connection is attached, that
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
    private static final AtomicIntegerFieldUpdater<Session> QUEUED =
            AtomicIntegerFieldUpdater.newUpdater(Session.class, "queued");
    private static final AtomicIntegerFieldUpdater<Session> DRAIN_SCHEDULED =
            AtomicIntegerFieldUpdater.newUpdater(Session.class, "drainScheduled");
    private static final AtomicReferenceFieldUpdater<Session, QueuedPublish> INBOX =
            AtomicReferenceFieldUpdater.newUpdater(Session.class, QueuedPublish.class, "inbox");

    private final String clientId;
    private final int maxQueued;
    private final BrokerMetrics metrics;
    private final SessionJournal journal;
    // The newest entry pushed by publishers, or null when the inbox is empty.
    private volatile QueuedPublish inbox;
    // Field updaters instead of atomic objects save two objects per session.
    private volatile int queued;
    private volatile int drainScheduled;
    // Created with the first subscription, so that a session without subscriptions has no map.
    // Changed only under the session registry's lock.
    private volatile Map<String, Grant> subscriptions;
    // Created by the first drain request; a race between two publishers only creates it twice.
    private Runnable drainTask;

    private volatile SessionConnection connection;
    private volatile ClientInfo client;
    private volatile boolean ended;
    private volatile long expiryIntervalSeconds;
    private volatile boolean stored;

    private ArrayDeque<QueuedPublish> pending;
    private InflightWindow inflight;
    private IntHashSet inboundQos2;
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

    /** Returns a read-only view of the filters this session subscribed to, with their grants. */
    public Map<String, Grant> subscriptions() {
        Map<String, Grant> map = subscriptions;
        return map == null ? Map.of() : Collections.unmodifiableMap(map);
    }

    /** Adds or replaces a subscription; called under the session registry's lock. */
    void putSubscription(String filter, Grant grant) {
        Map<String, Grant> map = subscriptions;
        if (map == null) {
            map = new ConcurrentHashMap<>();
            subscriptions = map;
        }
        map.put(filter, grant);
    }

    /**
     * Removes a subscription; called under the session registry's lock. Returns the removed grant, or
     * null if the session had no subscription to {@code filter}.
     */
    Grant removeSubscription(String filter) {
        Map<String, Grant> map = subscriptions;
        return map == null ? null : map.remove(filter);
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

    /**
     * Returns the lock that orders this session's records in the session store. It is the session
     * itself, which saves an object per session. No other code in the broker synchronizes on a
     * session.
     */
    Object storeLock() {
        return this;
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
        int queuedNow = reserveQueueSlot();
        if (queuedNow == 0) {
            metrics.dropped(DropReason.QUEUE_FULL);
            DROP_LOG.warn("Dropped a QoS {} message on '{}' for client {}: its queue holds the maximum of {}"
                            + " messages (session.max_queued_messages)",
                    delivery.qos().value(), publish.message().topic(), clientId, maxQueued);
            return DeliveryGate.SETTLED;
        }
        publish.retainUser();
        CompletableFuture<Void> result = DeliveryGate.SETTLED;
        if (stored && delivery.qos() != Qos.AT_MOST_ONCE) {
            result = enqueueStored(publish, delivery, group);
        } else {
            enqueue(new QueuedPublish(publish, delivery, group, 0));
        }
        if (queuedNow == maxQueued / 2 + 1) {
            // Half full: the drain that waits for the end of the routing event loop's iteration starts
            // now, so a subscriber on another event loop drains while this loop routes the rest of a burst.
            dispatchDrain();
        }
        return result;
    }

    /**
     * Takes a place in the queue and returns the number of queued messages with it, or 0 if the queue
     * is full. On the attached connection's event loop, a full queue is drained first, because a burst
     * routed within one iteration of that loop fills the queue before its deferred drain can run.
     * NOTE: on another event loop, a burst larger than the bound is still dropped when routing outpaces
     * that loop's drain.
     */
    private int reserveQueueSlot() {
        int queuedNow = tryReserveQueueSlot();
        if (queuedNow != 0) {
            return queuedNow;
        }
        SessionConnection current = connection;
        if (current == null || !current.executor().inEventLoop()) {
            return 0;
        }
        drain();
        return tryReserveQueueSlot();
    }

    /** Takes a place in the queue unless it is full; returns the number of queued messages with it, or 0. */
    private int tryReserveQueueSlot() {
        int queuedNow = QUEUED.incrementAndGet(this);
        if (queuedNow <= maxQueued) {
            return queuedNow;
        }
        QUEUED.decrementAndGet(this);
        return 0;
    }

    /**
     * Numbers the message, hands its record to the session store and queues it, all under the store
     * lock, so that the store receives the messages of this session in message identifier order and
     * before any later record of them.
     */
    private CompletableFuture<Void> enqueueStored(EncodedPublish publish, Delivery delivery, SharedGroup group) {
        CompletableFuture<Void> written = DeliveryGate.SETTLED;
        QueuedPublish entry;
        synchronized (storeLock()) {
            if (stored) {
                long messageId = ++lastMessageId;
                entry = new QueuedPublish(publish, delivery, group, messageId);
                written = journal.messageQueued(this, messageId, publish, delivery);
            } else {
                entry = new QueuedPublish(publish, delivery, group, 0);
            }
            push(entry);
        }
        if (ended) {
            releaseInbox();
            return written;
        }
        signal();
        return written;
    }

    private void enqueue(QueuedPublish entry) {
        push(entry);
        if (ended) {
            releaseInbox();
            return;
        }
        signal();
    }

    private void push(QueuedPublish entry) {
        QueuedPublish top;
        do {
            top = inbox;
            entry.next = top;
        } while (!INBOX.compareAndSet(this, top, entry));
    }

    /** Releases what entered the inbox after {@link #end()} emptied it. */
    private void releaseInbox() {
        for (QueuedPublish left = INBOX.getAndSet(this, null); left != null; left = left.next) {
            discard(left, false);
        }
    }

    @Override
    public boolean isOnline() {
        return connection != null;
    }

    /**
     * Schedules a drain on the attached connection's event loop, unless one is already scheduled.
     * Called on an event loop, the drain runs after that loop finished the I/O of its current
     * iteration: directly behind it on the same loop, or through {@link DeferredDrains} on another
     * loop, so that one drain and one flush cover every message the iteration routed here.
     */
    private void signal() {
        SessionConnection current = connection;
        if (current == null || !DRAIN_SCHEDULED.compareAndSet(this, 0, 1)) {
            return;
        }
        DeferredDrains deferred = DeferredDrains.current();
        if (deferred != null && deferred.owner() != current.executor()) {
            deferred.add(this);
            return;
        }
        dispatchDrain();
    }

    /** Hands the scheduled drain to the attached connection's event loop. */
    void dispatchDrain() {
        SessionConnection current = connection;
        if (current == null) {
            // Detached meanwhile: the next connection drains the queue when it attaches.
            drainScheduled = 0;
            return;
        }
        Runnable task = drainTask;
        if (task == null) {
            task = this::drain;
            drainTask = task;
        }
        try {
            current.executor().execute(task);
        } catch (RejectedExecutionException e) {
            drainScheduled = 0;
            LOG.debug("Event loop of client {} is shutting down; messages stay queued", clientId);
        }
    }

    /**
     * Writes, while the socket is writable and the in-flight limit allows, the in-flight messages not
     * yet sent on this connection, then queued messages, and flushes once. Runs on the
     * attached connection's event loop.
     */
    public void drain() {
        drainScheduled = 0;
        SessionConnection current = connection;
        if (current == null || !current.executor().inEventLoop()) {
            return;
        }
        takeInbox();
        int writes = inflight == null ? 0 : resendInflight(current);
        long now = System.nanoTime();
        while (pending != null && !pending.isEmpty() && current.isWritable() && writes < MAX_WRITES_PER_DRAIN) {
            QueuedPublish entry = pending.peekFirst();
            if (entry.qos() > 0 && inflightCount() >= inflightLimit) {
                break;
            }
            pending.pollFirst();
            QUEUED.decrementAndGet(this);
            EncodedPublish publish = entry.publish();
            if (publish.expired(now)) {
                // MQTT 5.0 message expiry: an expired message is never sent.
                metrics.dropped(DropReason.EXPIRED);
                journal.messageRemoved(this, entry.messageId());
                publish.releaseUser();
                continue;
            }
            if (!current.fits(publish, entry.delivery())) {
                dropTooLarge(entry);
                continue;
            }
            int packetId = 0;
            if (entry.qos() > 0) {
                packetId = allocatePacketId();
                // The queue entry moves into the in-flight window with its user reference.
                inflight().add(packetId, entry);
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
     * Sends again, oldest first, the in-flight messages that a previous connection left
     * unacknowledged (PUBLISH with DUP, or PUBREL after PUBREC), as long as fewer than the
     * connection's limit are outstanding on it. A client that reconnects with a smaller Receive
     * Maximum therefore gets the rest as it acknowledges (MQTT 5.0 section 4.9, flow control).
     *
     * @return the number of packets written
     */
    private int resendInflight(SessionConnection current) {
        int writes = 0;
        while (inflight.hasUnsent() && inflight.sentCount() < inflightLimit && current.isWritable()
                && writes < MAX_WRITES_PER_DRAIN) {
            QueuedPublish message = inflight.takeUnsent();
            if (message.released()) {
                current.writePubRel(message.packetId());
            } else if (current.fits(message.publish(), message.delivery())) {
                current.writePublish(message.publish(), message.delivery(), message.packetId(), true);
            } else {
                // The new connection may have a smaller Maximum Packet Size. MQTT 5.0 section 3.1.2.11.4:
                // discard the message and behave as if it had been sent.
                inflight.remove(message.packetId());
                dropTooLarge(message);
                continue;
            }
            writes++;
        }
        return writes;
    }

    /** Drops a message that exceeds the client's Maximum Packet Size, and counts and logs it. */
    private void dropTooLarge(QueuedPublish message) {
        metrics.dropped(DropReason.TOO_LARGE_FOR_CLIENT);
        DROP_LOG.warn("Dropped a message on '{}' for client {}: it exceeds the client's Maximum Packet Size",
                message.publish().message().topic(), clientId);
        journal.messageRemoved(this, message.messageId());
        message.publish().releaseUser();
    }

    /** Moves the inbox into the pending queue in arrival order. */
    private void takeInbox() {
        QueuedPublish newest = INBOX.getAndSet(this, null);
        if (newest == null) {
            return;
        }
        // Reverses the stack, so that messages of each publisher keep their order.
        QueuedPublish oldest = null;
        while (newest != null) {
            QueuedPublish older = newest.next;
            newest.next = oldest;
            oldest = newest;
            newest = older;
        }
        ArrayDeque<QueuedPublish> queue = pending();
        while (oldest != null) {
            QueuedPublish following = oldest.next;
            oldest.next = null;
            queue.addLast(oldest);
            oldest = following;
        }
    }

    private ArrayDeque<QueuedPublish> pending() {
        if (pending == null) {
            pending = new ArrayDeque<>();
        }
        return pending;
    }

    private InflightWindow inflight() {
        if (inflight == null) {
            inflight = new InflightWindow();
        }
        return inflight;
    }

    private int inflightCount() {
        return inflight == null ? 0 : inflight.size();
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
     * the queued messages, within the connection's in-flight limit. Call on the connection's event
     * loop after CONNACK was written.
     */
    public void resumeDelivery() {
        SessionConnection current = connection;
        if (current == null) {
            return;
        }
        if (inflight != null) {
            inflight.markAllUnsent();
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
        for (entry = INBOX.getAndSet(this, null); entry != null; entry = entry.next) {
            discard(entry, true);
        }
        while (pending != null && (entry = pending.pollFirst()) != null) {
            discard(entry, true);
        }
        if (inflight != null) {
            for (QueuedPublish message = inflight.first(); message != null; message = message.next) {
                if (message.origin() == null
                        || !message.origin().deliverExcept(message.publish(), message.delivery().qos(), this)) {
                    metrics.dropped(DropReason.SESSION_ENDED);
                }
                message.publish().releaseUser();
            }
        }
        pending = null;
        inflight = null;
        inboundQos2 = null;
        subscriptions = null;
    }

    /**
     * Hands the QoS 1 and 2 messages that came through shared groups, sent or still queued, to other
     * members of their groups. Called when the connection closes, with no connection attached.
     */
    void handOffSharedMessages() {
        if (inflight != null) {
            inflight.removeIf(message -> {
                if (message.origin() == null
                        || !message.origin().deliverExcept(message.publish(), message.delivery().qos(), this)) {
                    return false;
                }
                journal.messageRemoved(this, message.messageId());
                message.publish().releaseUser();
                return true;
            });
        }
        if (pending == null) {
            return;
        }
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
        QUEUED.decrementAndGet(this);
        boolean handedOff = ending && entry.qos() > 0 && entry.origin() != null
                && entry.origin().deliverExcept(entry.publish(), entry.delivery().qos(), this);
        if (ending && entry.qos() > 0 && !handedOff) {
            metrics.dropped(DropReason.SESSION_ENDED);
        }
        entry.publish().releaseUser();
    }

    /** Handles PUBACK; returns false if no QoS 1 message was in flight with that identifier. */
    public boolean onPubAck(int packetId) {
        QueuedPublish message = inflight == null ? null : inflight.get(packetId);
        if (message == null || message.qos() != 1) {
            return false;
        }
        inflight.remove(packetId);
        journal.messageRemoved(this, message.messageId());
        message.publish().releaseUser();
        // Scheduled rather than run here, so that all acknowledgements of one read free the window
        // before one drain refills it and flushes once.
        signal();
        return true;
    }

    /** Handles PUBREC; returns false if no QoS 2 message awaited it. The caller replies with PUBREL. */
    public boolean onPubRec(int packetId) {
        QueuedPublish message = inflight == null ? null : inflight.get(packetId);
        if (message == null || message.qos() != 2) {
            return false;
        }
        if (!message.released()) {
            message.markReleased();
            journal.messageReleased(this, message.messageId());
        }
        // The caller sends PUBREL now. A message not yet resent on this connection is therefore
        // outstanding on it and must not be resent later.
        inflight.markSent(message);
        return true;
    }

    /** Handles PUBCOMP; returns false if no PUBREL was outstanding for that identifier. */
    public boolean onPubComp(int packetId) {
        QueuedPublish message = inflight == null ? null : inflight.get(packetId);
        if (message == null || !message.released()) {
            return false;
        }
        inflight.remove(packetId);
        journal.messageRemoved(this, message.messageId());
        message.publish().releaseUser();
        // Scheduled rather than run here, so that all acknowledgements of one read free the window
        // before one drain refills it and flushes once.
        signal();
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
        if (inboundQos2 == null) {
            inboundQos2 = new IntHashSet();
        }
        if (!inboundQos2.add(packetId) || !stored) {
            return DeliveryGate.SETTLED;
        }
        synchronized (storeLock()) {
            return stored ? journal.inboundQos2Received(this, packetId) : DeliveryGate.SETTLED;
        }
    }

    /** Forgets an inbound QoS 2 identifier on PUBREL; returns false if it was unknown. */
    public boolean completeInboundQos2(int packetId) {
        if (inboundQos2 == null || !inboundQos2.remove(packetId)) {
            return false;
        }
        journal.inboundQos2Released(this, packetId);
        return true;
    }

    /** Returns true if an inbound QoS 2 message with this identifier awaits PUBREL. */
    public boolean hasInboundQos2(int packetId) {
        return inboundQos2 != null && inboundQos2.contains(packetId);
    }

    /** Returns the number of inbound QoS 2 messages awaiting PUBREL. */
    public int inboundQos2Count() {
        return inboundQos2 == null ? 0 : inboundQos2.size();
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
        if (packetId == 0 || (inflight != null && inflight.contains(packetId))) {
            QUEUED.incrementAndGet(this);
            pending().addLast(new QueuedPublish(publish, delivery, null, messageId));
            return;
        }
        QueuedPublish message = new QueuedPublish(publish, delivery, null, messageId);
        if (released) {
            message.markReleased();
        }
        inflight().add(packetId, message);
    }

    /** Puts back an inbound QoS 2 packet identifier from the session store. */
    void restoreInboundQos2(int packetId) {
        if (inboundQos2 == null) {
            inboundQos2 = new IntHashSet();
        }
        inboundQos2.add(packetId);
    }

    private int allocatePacketId() {
        int candidate = nextPacketId;
        while (inflight != null && inflight.contains(candidate)) {
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
