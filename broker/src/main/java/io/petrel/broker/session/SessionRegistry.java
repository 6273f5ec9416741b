package io.petrel.broker.session;

import io.petrel.broker.BrokerConfig;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.routing.Grant;
import io.petrel.broker.routing.Subscriber;
import io.petrel.broker.routing.SubscriptionTrie;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * All sessions by client identifier: creation, resumption, takeover, expiry and the subscriptions
 * each session has in the routing trie.
 *
 * <p>Threads: connects, disconnects and expiry run under one lock, which is held only for map and
 * trie updates, never across I/O. A takeover does not wait under the lock: it asks the old connection
 * to close and resumes the connect on the new connection's event loop once the old one has detached.
 */
public final class SessionRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(SessionRegistry.class);

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private final SubscriptionTrie<Subscriber, Grant> trie;
    private final ScheduledExecutorService scheduler;
    private final BrokerMetrics metrics;
    private final int maxQueued;
    private final int maxInflight;

    /**
     * Creates a registry that keeps subscriptions in {@code trie} and runs expiry timers on
     * {@code scheduler}.
     */
    public SessionRegistry(BrokerConfig config, SubscriptionTrie<Subscriber, Grant> trie,
                           ScheduledExecutorService scheduler, BrokerMetrics metrics) {
        this.trie = trie;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.maxQueued = config.maxQueuedMessages();
        this.maxInflight = config.maxInflightMessages();
    }

    /**
     * Attaches {@code connection} to the session of {@code clientId}, creating it, resuming it, or
     * discarding the old one when {@code cleanStart} is set. A connection already attached to that
     * session is taken over first. Call on the connection's event loop; the returned future completes
     * on that event loop.
     */
    public CompletableFuture<ConnectOutcome> connect(String clientId, boolean cleanStart, long expiryIntervalSeconds,
                                                     SessionConnection connection) {
        SessionConnection previous;
        synchronized (lock) {
            Session existing = sessions.get(clientId);
            previous = existing == null ? null : existing.connection();
            if (previous == null) {
                return CompletableFuture.completedFuture(
                        attachLocked(clientId, existing, cleanStart, expiryIntervalSeconds, connection));
            }
        }
        LOG.info("Client {} connected again; closing its previous connection (session takeover)", clientId);
        return previous.takeOver().thenComposeAsync(
                detached -> connect(clientId, cleanStart, expiryIntervalSeconds, connection),
                connection.executor());
    }

    private ConnectOutcome attachLocked(String clientId, Session existing, boolean cleanStart,
                                        long expiryIntervalSeconds, SessionConnection connection) {
        Session session = existing;
        boolean present = session != null && !cleanStart;
        if (session != null && cleanStart) {
            endLocked(session);
            session = null;
        }
        if (session == null) {
            session = new Session(clientId, maxQueued, maxInflight, metrics);
            sessions.put(clientId, session);
        }
        session.expiryIntervalSeconds(expiryIntervalSeconds);
        session.attach(connection);
        return new ConnectOutcome(session, present);
    }

    /**
     * Detaches a closed connection. A session whose expiry interval is 0 ends now; otherwise it stays
     * for the next connection and, unless it never expires, ends when its expiry interval passes.
     */
    public void disconnected(Session session, SessionConnection connection) {
        synchronized (lock) {
            if (session.connection() != connection) {
                return;
            }
            session.detach();
            long expiry = session.expiryIntervalSeconds();
            if (expiry == 0) {
                endLocked(session);
            } else if (expiry != Session.NEVER_EXPIRES) {
                scheduleExpiry(session, expiry);
            }
        }
    }

    private void scheduleExpiry(Session session, long expirySeconds) {
        long generation = session.generation();
        try {
            scheduler.schedule(() -> expire(session, generation), expirySeconds, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("Scheduler stopped; session {} is not given an expiry timer", session.clientId());
        }
    }

    private void expire(Session session, long generation) {
        synchronized (lock) {
            if (session.connection() == null && session.generation() == generation && !session.ended()) {
                LOG.debug("Session of client {} expired", session.clientId());
                endLocked(session);
            }
        }
    }

    /** Adds or replaces a subscription of {@code session}. Returns true if the filter is new for it. */
    public boolean subscribe(Session session, Grant grant) {
        synchronized (lock) {
            if (session.ended()) {
                return false;
            }
            session.subscriptions().put(grant.filter(), grant);
            return trie.put(grant.filter(), session, grant) == null;
        }
    }

    /** Removes a subscription of {@code session}. Returns true if it existed. */
    public boolean unsubscribe(Session session, String filter) {
        synchronized (lock) {
            session.subscriptions().remove(filter);
            return trie.remove(filter, session) != null;
        }
    }

    /** Returns null if a subscription to {@code filter} can be made, otherwise the problem. */
    public String checkFilter(String filter) {
        return trie.checkFilter(filter);
    }

    /** Returns the number of sessions, connected or not. */
    public int size() {
        return sessions.size();
    }

    /** Ends every session; called when the broker closes, after all connections are closed. */
    public void close() {
        synchronized (lock) {
            List<Session> all = new ArrayList<>(sessions.values());
            for (Session session : all) {
                session.detach();
                endLocked(session);
            }
        }
    }

    private void endLocked(Session session) {
        sessions.remove(session.clientId(), session);
        for (Grant grant : session.grants()) {
            trie.remove(grant.filter(), session);
        }
        session.end();
    }
}
