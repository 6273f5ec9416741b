package io.petrel.broker.session;

import io.petrel.api.Message;
import io.petrel.api.store.SessionStore;
import io.petrel.api.store.StoredSession;
import io.petrel.api.store.StoredSessionMessage;
import io.petrel.api.store.StoredSubscription;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.observability.LogText;
import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.routing.Delivery;
import io.petrel.broker.routing.Grant;
import io.petrel.broker.routing.MessageRouter;
import io.petrel.broker.routing.ShareName;
import io.petrel.broker.routing.SharedSubscriptions;
import io.petrel.broker.routing.Subscriber;
import io.petrel.broker.routing.SubscriptionTrie;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * All sessions by client identifier: creation, resumption, takeover, expiry and the subscriptions
 * each session has in the routing trie.
 *
 * <p>Threads: connects, disconnects and expiry run under one lock, which is held only for map and
 * trie updates, never across I/O. A takeover does not wait under the lock. It closes the old
 * connection and resumes the connect on the new connection's event loop once the old one has detached.
 *
 * <p>Sessions with an expiry interval above 0 are written to the {@link SessionStore} under the same
 * lock (see {@link SessionJournal}), and {@link #restore} recreates them when the broker starts.
 */
public final class SessionRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(SessionRegistry.class);

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private final SubscriptionTrie<Subscriber, Grant> trie;
    private final SharedSubscriptions shared;
    private final WillPublisher wills;
    private final ScheduledExecutorService scheduler;
    private final BrokerMetrics metrics;
    private final int maxQueued;
    private final SessionJournal journal;

    /**
     * Creates a registry that keeps subscriptions in {@code trie}, publishes wills through
     * {@code router}, runs expiry timers on {@code scheduler} and writes persistent sessions to
     * {@code store}.
     */
    public SessionRegistry(BrokerConfig config, SubscriptionTrie<Subscriber, Grant> trie, SharedSubscriptions shared,
                           MessageRouter router, ScheduledExecutorService scheduler, BrokerMetrics metrics,
                           SessionStore store) {
        this(config, trie, shared, (session, will) -> router.route(will, session), scheduler, metrics, store);
    }

    /**
     * Creates a registry that keeps subscriptions in {@code trie}, publishes wills through
     * {@code wills}, runs expiry timers on {@code scheduler} and writes persistent sessions to
     * {@code store}.
     */
    public SessionRegistry(BrokerConfig config, SubscriptionTrie<Subscriber, Grant> trie, SharedSubscriptions shared,
                           WillPublisher wills, ScheduledExecutorService scheduler, BrokerMetrics metrics,
                           SessionStore store) {
        this.journal = new SessionJournal(store);
        this.trie = trie;
        this.shared = shared;
        this.wills = wills;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.maxQueued = config.maxQueuedMessages();
    }

    /**
     * Attaches {@code connection} to the session of {@code clientId}, creating it, resuming it, or
     * discarding the old one when {@code cleanStart} is set. A connection already attached to that
     * session is taken over first. Call on the connection's event loop; the returned future completes
     * on that event loop.
     *
     * @param inflightLimit how many QoS 1 and 2 messages may await acknowledgement on this connection
     */
    public CompletableFuture<ConnectOutcome> connect(String clientId, boolean cleanStart, long expiryIntervalSeconds,
                                                     int inflightLimit, SessionConnection connection) {
        SessionConnection previous;
        synchronized (lock) {
            Session existing = sessions.get(clientId);
            previous = existing == null ? null : existing.connection();
            if (previous == null) {
                return CompletableFuture.completedFuture(
                        attachLocked(clientId, existing, cleanStart, expiryIntervalSeconds, inflightLimit, connection));
            }
        }
        if (previous.isOpen()) {
            LOG.info("Client {} connected again; closing its previous connection (session takeover)",
                    LogText.printable(clientId));
        } else {
            LOG.debug("Client {} reconnected before its previous connection finished closing", clientId);
        }
        return previous.takeOver().thenComposeAsync(
                detached -> connect(clientId, cleanStart, expiryIntervalSeconds, inflightLimit, connection),
                connection.executor());
    }

    /**
     * Attaches {@code connection} as {@link #connect} does when no connection is attached to the
     * session of {@code clientId}, and returns the outcome at once, without a future. Returns null
     * and changes nothing when a connection is attached, so that the caller takes it over with
     * {@link #connect}. Call on the connection's event loop.
     */
    public ConnectOutcome connectUnlessAttached(String clientId, boolean cleanStart, long expiryIntervalSeconds,
                                                int inflightLimit, SessionConnection connection) {
        synchronized (lock) {
            Session existing = sessions.get(clientId);
            if (existing != null && existing.connection() != null) {
                return null;
            }
            return attachLocked(clientId, existing, cleanStart, expiryIntervalSeconds, inflightLimit, connection);
        }
    }

    private ConnectOutcome attachLocked(String clientId, Session existing, boolean cleanStart,
                                        long expiryIntervalSeconds, int inflightLimit, SessionConnection connection) {
        Session session = existing;
        boolean present = session != null && !cleanStart;
        if (session != null && cleanStart) {
            endLocked(session);
            session = null;
        }
        if (session == null) {
            session = new Session(clientId, maxQueued, metrics, journal);
            sessions.put(clientId, session);
        }
        session.expiryIntervalSeconds(expiryIntervalSeconds);
        journal.sessionChanged(session, System.currentTimeMillis());
        // [MQTT-3.1.3-9]: a new connection of the session cancels a will still waiting for its delay.
        session.pendingWill(null);
        session.attach(connection, inflightLimit);
        return new ConnectOutcome(session, present);
    }

    /**
     * Detaches a closed connection. A session whose expiry interval is 0 ends now; otherwise it stays
     * for the next connection and, unless it never expires, ends when its expiry interval passes.
     *
     * @param will             the will to publish, or null after a normal DISCONNECT
     * @param willDelaySeconds the MQTT 5.0 will delay: the will waits that long, or until the session
     *                         ends if that comes first, and a reconnect within it cancels it
     */
    public void disconnected(Session session, SessionConnection connection, Message will, long willDelaySeconds) {
        synchronized (lock) {
            if (session.connection() != connection) {
                return;
            }
            session.detach();
            session.handOffSharedMessages();
            long expiry = session.expiryIntervalSeconds();
            if (will != null) {
                if (willDelaySeconds == 0 || expiry == 0) {
                    publishWill(session, will);
                } else {
                    session.pendingWill(will);
                    if (willDelaySeconds < expiry) {
                        scheduleWill(session, willDelaySeconds);
                    }
                }
            }
            if (expiry == 0) {
                endLocked(session);
                return;
            }
            // The stored time becomes the disconnect, from which the expiry interval counts.
            journal.sessionChanged(session, System.currentTimeMillis());
            if (expiry != Session.NEVER_EXPIRES) {
                scheduleExpiry(session, TimeUnit.SECONDS.toMillis(expiry));
            }
        }
    }

    private void scheduleWill(Session session, long delaySeconds) {
        long generation = session.generation();
        try {
            scheduler.schedule(() -> {
                synchronized (lock) {
                    Message will = session.pendingWill();
                    if (will != null && session.connection() == null && session.generation() == generation) {
                        session.pendingWill(null);
                        publishWill(session, will);
                    }
                }
            }, delaySeconds, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("Scheduler stopped; the will of client {} waits for its session to end", session.clientId());
        }
    }

    private void publishWill(Session session, Message will) {
        metrics.willPublished();
        LOG.debug("Publishing the will of client {} on '{}'", session.clientId(), will.topic());
        wills.publish(session, will);
    }

    private void scheduleExpiry(Session session, long expiryMillis) {
        long generation = session.generation();
        try {
            scheduler.schedule(() -> expire(session, generation), expiryMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("Scheduler stopped; session {} is not given an expiry timer", session.clientId());
        }
    }

    private void expire(Session session, long generation) {
        synchronized (lock) {
            if (session.connection() == null && session.generation() == generation && !session.ended()) {
                LOG.debug("Session of client {} expired", session.clientId());
                metrics.sessionExpired();
                endLocked(session);
            }
        }
    }

    /**
     * Adds or replaces a subscription of {@code session}, and writes it to the session store if the
     * session is persistent. A {@code $share/} filter joins its shared group instead of the trie.
     *
     * @param filter the filter as the client sent it, {@code $share/} prefix included
     */
    public Subscribed subscribe(Session session, String filter, Grant grant) {
        synchronized (lock) {
            if (session.ended()) {
                return new Subscribed(false, SessionJournal.completed());
            }
            boolean isNew = addSubscription(session, filter, grant);
            return new Subscribed(isNew, journal.subscribed(session, filter, grant));
        }
    }

    /**
     * The result of {@link #subscribe}.
     *
     * @param isNew   true if the filter is new for the session
     * @param written completes once the subscription record is written, or at once for a session that
     *                is not persistent; it never completes exceptionally
     */
    public record Subscribed(boolean isNew, CompletionStage<Void> written) {
    }

    private boolean addSubscription(Session session, String filter, Grant grant) {
        session.putSubscription(filter, grant);
        if (ShareName.isShared(filter)) {
            return shared.join(ShareName.parse(filter), session, grant);
        }
        return trie.put(filter, session, grant) == null;
    }

    /** Removes a subscription of {@code session}. Returns true if it existed. */
    public boolean unsubscribe(Session session, String filter) {
        synchronized (lock) {
            if (session.removeSubscription(filter) != null) {
                journal.unsubscribed(session, filter);
            }
            return removeSubscription(session, filter);
        }
    }

    private boolean removeSubscription(Session session, String filter) {
        if (ShareName.isShared(filter)) {
            return shared.leave(ShareName.parse(filter), session);
        }
        return trie.remove(filter, session) != null;
    }

    /**
     * Returns null if a subscription to {@code filter} can be made, otherwise the problem. A
     * {@code $share/} filter is checked as a shared subscription.
     */
    public String checkFilter(String filter) {
        if (ShareName.isShared(filter)) {
            String problem = ShareName.check(filter);
            return problem != null ? problem : trie.checkFilter(ShareName.parse(filter).filter());
        }
        return trie.checkFilter(filter);
    }

    /** Returns the number of sessions, connected or not. */
    public int size() {
        return sessions.size();
    }

    /**
     * Recreates the sessions of the session store, offline, with their subscriptions, their queued and
     * in-flight messages and their unreleased incoming QoS 2 packet identifiers. A session whose expiry
     * interval passed while the broker was stopped is removed from the store instead. Call once,
     * before the broker accepts connections.
     *
     * @param nowMillis the current time in milliseconds since the epoch
     * @return the number of sessions restored
     */
    public int restore(List<StoredSession> stored, long nowMillis) {
        int restored = 0;
        synchronized (lock) {
            for (StoredSession record : stored) {
                if (restoreLocked(record, nowMillis)) {
                    restored++;
                }
            }
        }
        return restored;
    }

    private boolean restoreLocked(StoredSession record, long nowMillis) {
        long expiry = record.expiryIntervalSeconds();
        long remainingMillis = Long.MAX_VALUE;
        if (expiry != Session.NEVER_EXPIRES) {
            long elapsedMillis = Math.max(0, nowMillis - record.storedEpochMillis());
            remainingMillis = TimeUnit.SECONDS.toMillis(expiry) - elapsedMillis;
        }
        if (!SessionJournal.persistent(expiry) || remainingMillis <= 0) {
            LOG.debug("Session of client {} expired while the broker was stopped", record.clientId());
            journal.discard(record.clientId());
            return false;
        }
        Session session = new Session(record.clientId(), maxQueued, metrics, journal);
        session.expiryIntervalSeconds(expiry);
        session.stored(true);
        sessions.put(record.clientId(), session);
        for (StoredSubscription subscription : record.subscriptions()) {
            String filter = subscription.filter();
            String problem = checkFilter(filter);
            if (problem != null) {
                LOG.warn("Skipped the stored subscription of client {} to the invalid filter '{}': {}",
                        LogText.printable(record.clientId()), LogText.printable(filter), problem);
                continue;
            }
            String topicFilter = ShareName.isShared(filter) ? ShareName.parse(filter).filter() : filter;
            addSubscription(session, filter, new Grant(topicFilter, subscription.qos(), subscription.noLocal(),
                    subscription.retainAsPublished(), subscription.retainHandling(), subscription.subscriptionId()));
        }
        restoreMessages(session, record, nowMillis);
        for (int packetId : record.inboundQos2PacketIds()) {
            session.restoreInboundQos2(packetId);
        }
        if (expiry != Session.NEVER_EXPIRES) {
            scheduleExpiry(session, remainingMillis);
        }
        return true;
    }

    /**
     * Puts the stored messages back in message identifier order. Each keeps its arrival time, so that
     * an MQTT 5.0 message expiry interval counts from when the message first arrived. An expired one
     * is dropped, and removed from the store, when the session next drains its queue.
     */
    private static void restoreMessages(Session session, StoredSession record, long nowMillis) {
        List<StoredSessionMessage> messages = new ArrayList<>(record.messages());
        messages.sort(Comparator.comparingLong(StoredSessionMessage::messageId));
        long nowNanos = System.nanoTime();
        for (StoredSessionMessage stored : messages) {
            Message message = stored.message();
            long ageMillis = Math.max(0, nowMillis - stored.arrivalEpochMillis());
            EncodedPublish publish = new EncodedPublish(message, nowNanos - TimeUnit.MILLISECONDS.toNanos(ageMillis));
            int[] ids = message.subscriptionIdentifiers().stream().mapToInt(Integer::intValue).toArray();
            Delivery delivery = Delivery.of(message.qos(), message.retain(), ids);
            session.restoreMessage(stored.messageId(), publish, delivery, stored.packetId(), stored.released());
        }
    }

    /**
     * Drops every session from memory; called when the broker closes, after all connections are
     * closed. Persistent sessions stay in the session store for the next start.
     */
    public void close() {
        synchronized (lock) {
            List<Session> all = new ArrayList<>(sessions.values());
            for (Session session : all) {
                session.detach();
                // Closing the broker does not end a stored session, so no end record is written.
                synchronized (session.storeLock()) {
                    session.stored(false);
                }
                endLocked(session);
            }
        }
    }

    private void endLocked(Session session) {
        journal.sessionEnded(session);
        sessions.remove(session.clientId(), session);
        for (String filter : session.subscriptions().keySet()) {
            removeSubscription(session, filter);
        }
        Message will = session.pendingWill();
        session.end();
        if (will != null) {
            // [MQTT-3.1.2-8]: a delayed will is published at the latest when its session ends.
            publishWill(session, will);
        }
    }
}
