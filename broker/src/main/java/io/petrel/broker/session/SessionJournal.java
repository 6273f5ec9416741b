package io.petrel.broker.session;

import io.petrel.api.store.SessionStore;
import io.petrel.api.store.StoredSubscription;
import io.petrel.broker.observability.RateLimitedLogger;
import io.petrel.broker.routing.Grant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Writes the records of persistent sessions to the {@link SessionStore}, and only theirs: a session is
 * stored while its expiry interval is above 0. Called by the {@link SessionRegistry} under its lock,
 * so the records of one client reach the store in the order the changes happened.
 *
 * <p>A failed write is logged at ERROR (at most once per 10 s) and otherwise ignored: the session
 * goes on in memory, and a restart may lose the change.
 */
final class SessionJournal {

    private static final Logger LOG = LoggerFactory.getLogger(SessionJournal.class);
    private static final RateLimitedLogger FAILURE_LOG = new RateLimitedLogger(LOG, 10, TimeUnit.SECONDS);
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final SessionStore store;

    SessionJournal(SessionStore store) {
        this.store = store;
    }

    /** Returns a stage that is already complete. */
    static CompletableFuture<Void> completed() {
        return DONE;
    }

    /** Returns true if a session with this expiry interval is written to the store. */
    static boolean persistent(long expiryIntervalSeconds) {
        return expiryIntervalSeconds > 0;
    }

    /**
     * Stores {@code session} with its current expiry interval counting from {@code nowMillis}, or
     * removes it from the store if that interval is 0 and it was stored.
     */
    void sessionChanged(Session session, long nowMillis) {
        if (persistent(session.expiryIntervalSeconds())) {
            session.stored(true);
            long expiry = session.expiryIntervalSeconds();
            write(() -> store.sessionStored(session.clientId(), expiry, nowMillis), "store the session",
                    session.clientId());
        } else {
            sessionEnded(session);
        }
    }

    /** Removes {@code session} from the store if it was stored. */
    void sessionEnded(Session session) {
        if (session.stored()) {
            session.stored(false);
            write(() -> store.sessionEnded(session.clientId()), "remove the session", session.clientId());
        }
    }

    /**
     * Stores a subscription of a stored session.
     *
     * @param filter the filter as the client sent it, {@code $share/} prefix included
     * @return a stage that completes once the record is written or failed. It never completes
     *         exceptionally, and it is already complete for a session that is not stored.
     */
    CompletableFuture<Void> subscribed(Session session, String filter, Grant grant) {
        if (!session.stored()) {
            return DONE;
        }
        StoredSubscription subscription = new StoredSubscription(filter, grant.qos(), grant.noLocal(),
                grant.retainAsPublished(), grant.retainHandling(), grant.subscriptionId());
        return write(() -> store.subscriptionAdded(session.clientId(), subscription),
                "store the subscription to '" + filter + "'", session.clientId());
    }

    /** Removes a subscription of a stored session from the store. */
    void unsubscribed(Session session, String filter) {
        if (session.stored()) {
            write(() -> store.subscriptionRemoved(session.clientId(), filter),
                    "remove the subscription to '" + filter + "'", session.clientId());
        }
    }

    /** Removes a stored session that is not restored, such as one whose expiry interval passed. */
    void discard(String clientId) {
        write(() -> store.sessionEnded(clientId), "remove the session", clientId);
    }

    /**
     * Calls the store and logs a failure. An exception the store throws counts as a failed stage,
     * because the store may be application code.
     */
    private static CompletableFuture<Void> write(Supplier<CompletionStage<Void>> call, String action,
                                                 String clientId) {
        CompletableFuture<Void> written;
        try {
            written = call.get().toCompletableFuture();
        } catch (RuntimeException e) {
            written = CompletableFuture.failedFuture(e);
        }
        return written.handle((ignored, error) -> {
            if (error != null) {
                FAILURE_LOG.error("Failed to {} of client {} in the session store; a restart may lose the change",
                        action, clientId, error);
            }
            return null;
        });
    }
}
