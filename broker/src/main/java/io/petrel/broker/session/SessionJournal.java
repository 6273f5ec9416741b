package io.petrel.broker.session;

import io.petrel.api.Message;
import io.petrel.api.store.SessionStore;
import io.petrel.api.store.StoredSubscription;
import io.petrel.broker.observability.StoreFailureLog;
import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.routing.Delivery;
import io.petrel.broker.routing.Grant;
import io.petrel.broker.routing.StoreWriteException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Writes the records of persistent sessions to the {@link SessionStore}, and only theirs: a session is
 * stored while its expiry interval is above 0. Session and subscription records are written by the
 * {@link SessionRegistry} under its lock. Every record of a session, message records included, is
 * handed to the store while holding {@link Session#storeLock()}, and the {@link Session#stored()}
 * flag changes only under that lock, so the records of one client reach the store in the order the
 * changes happened and no message record follows the session's end record.
 *
 * <p>A failed write is logged at ERROR (at most once per 10 s). The session goes on in memory and a
 * restart may lose the change. Only the stages of {@link #messageQueued} and
 * {@link #inboundQos2Received}, which the publisher's acknowledgement waits for, fail with a
 * {@link StoreWriteException}.
 */
final class SessionJournal {

    private static final Logger LOG = LoggerFactory.getLogger(SessionJournal.class);
    private static final StoreFailureLog FAILURE_LOG = new StoreFailureLog(LOG, 10, TimeUnit.SECONDS);
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
            synchronized (session.storeLock()) {
                session.stored(true);
                long expiry = session.expiryIntervalSeconds();
                write(() -> store.sessionStored(session.clientId(), expiry, nowMillis), "store the session",
                        session.clientId());
            }
        } else {
            sessionEnded(session);
        }
    }

    /** Removes {@code session} from the store, with its messages, if it was stored. */
    void sessionEnded(Session session) {
        synchronized (session.storeLock()) {
            if (session.stored()) {
                session.stored(false);
                write(() -> store.sessionEnded(session.clientId()), "remove the session", session.clientId());
            }
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
        synchronized (session.storeLock()) {
            return write(() -> store.subscriptionAdded(session.clientId(), subscription),
                    "store the subscription to '" + filter + "'", session.clientId());
        }
    }

    /** Removes a subscription of a stored session from the store. */
    void unsubscribed(Session session, String filter) {
        if (session.stored()) {
            synchronized (session.storeLock()) {
                write(() -> store.subscriptionRemoved(session.clientId(), filter),
                        "remove the subscription to '" + filter + "'", session.clientId());
            }
        }
    }

    /**
     * Stores a message queued for a stored session. Call with {@link Session#storeLock()} held and
     * before the message enters the session's queue.
     *
     * @return a stage that completes once the record is written, or fails with a
     *         {@link StoreWriteException}; already complete if the store wrote it at once
     */
    CompletableFuture<Void> messageQueued(Session session, long messageId, EncodedPublish publish,
                                          Delivery delivery) {
        Message delivered = asDelivered(publish.message(), delivery);
        long ageNanos = Math.max(0, System.nanoTime() - publish.receivedAtNanos());
        long arrivalEpochMillis = System.currentTimeMillis() - TimeUnit.NANOSECONDS.toMillis(ageNanos);
        String clientId = session.clientId();
        return writeAwaited(() -> store.messageQueued(clientId, messageId, delivered, arrivalEpochMillis),
                "the message on '" + delivered.topic() + "' queued for client " + clientId);
    }

    /**
     * Records that a message was sent with {@code packetId}, if it is stored.
     *
     * @param messageId the message's identifier in the store, or 0 for a message that is not stored
     */
    void messageSent(Session session, long messageId, int packetId) {
        if (messageId != 0 && session.stored()) {
            synchronized (session.storeLock()) {
                if (session.stored()) {
                    write(() -> store.messageSent(session.clientId(), messageId, packetId), "record a sent message",
                            session.clientId());
                }
            }
        }
    }

    /** Records that PUBREC arrived for a QoS 2 message, if it is stored (messageId above 0). */
    void messageReleased(Session session, long messageId) {
        if (messageId != 0 && session.stored()) {
            synchronized (session.storeLock()) {
                if (session.stored()) {
                    write(() -> store.messageReleased(session.clientId(), messageId), "record a released message",
                            session.clientId());
                }
            }
        }
    }

    /** Removes a message from the store, if it is stored (messageId above 0). */
    void messageRemoved(Session session, long messageId) {
        if (messageId != 0 && session.stored()) {
            synchronized (session.storeLock()) {
                if (session.stored()) {
                    write(() -> store.messageRemoved(session.clientId(), messageId), "remove a message",
                            session.clientId());
                }
            }
        }
    }

    /**
     * Stores an incoming QoS 2 packet identifier of a stored session. Call with the store lock held.
     *
     * @return a stage like that of {@link #messageQueued}
     */
    CompletableFuture<Void> inboundQos2Received(Session session, int packetId) {
        String clientId = session.clientId();
        return writeAwaited(() -> store.inboundQos2Received(clientId, packetId),
                "the incoming QoS 2 packet identifier " + packetId + " of client " + clientId);
    }

    /** Removes an incoming QoS 2 packet identifier from the store, if the session is stored. */
    void inboundQos2Released(Session session, int packetId) {
        if (session.stored()) {
            synchronized (session.storeLock()) {
                if (session.stored()) {
                    write(() -> store.inboundQos2Released(session.clientId(), packetId),
                            "remove the incoming QoS 2 packet identifier " + packetId, session.clientId());
                }
            }
        }
    }

    /**
     * Returns the message as this session receives it: with the delivered QoS, the retain flag of the
     * outgoing PUBLISH and the subscription identifiers of the matching subscriptions.
     */
    static Message asDelivered(Message message, Delivery delivery) {
        int[] ids = delivery.subscriptionIds();
        List<Integer> current = message.subscriptionIdentifiers();
        boolean sameIds = ids.length == current.size();
        for (int i = 0; sameIds && i < ids.length; i++) {
            sameIds = ids[i] == current.get(i);
        }
        if (sameIds && message.qos() == delivery.qos() && message.retain() == delivery.retain()) {
            return message;
        }
        List<Integer> identifiers = new ArrayList<>(ids.length);
        for (int id : ids) {
            identifiers.add(id);
        }
        return message.toBuilder().qos(delivery.qos()).retain(delivery.retain()).subscriptionIdentifiers(identifiers)
                .build();
    }

    /** Removes a stored session that is not restored, such as one whose expiry interval passed. */
    void discard(String clientId) {
        write(() -> store.sessionEnded(clientId), "remove the session", clientId);
    }

    /**
     * Calls the store like {@link #write}, but the returned stage fails with a
     * {@link StoreWriteException} when the write fails.
     *
     * @param record the record, for the log line and the exception message
     */
    private static CompletableFuture<Void> writeAwaited(Supplier<CompletionStage<Void>> call, String record) {
        CompletableFuture<Void> written = call(call);
        if (written.isDone() && !written.isCompletedExceptionally()) {
            return DONE;
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        written.whenComplete((ignored, error) -> {
            if (error == null) {
                result.complete(null);
                return;
            }
            FAILURE_LOG.failed("store " + record + " in the session store", "its publisher gets a failure", error);
            result.completeExceptionally(new StoreWriteException(record, error));
        });
        return result;
    }

    /**
     * Calls the store and logs a failure. An exception the store throws counts as a failed stage,
     * because the store may be application code.
     */
    private static CompletableFuture<Void> write(Supplier<CompletionStage<Void>> call, String action,
                                                 String clientId) {
        CompletableFuture<Void> written = call(call);
        if (written.isDone() && !written.isCompletedExceptionally()) {
            return DONE;
        }
        return written.handle((ignored, error) -> {
            if (error != null) {
                FAILURE_LOG.failed(action + " of client " + clientId + " in the session store",
                        "a restart may lose the change", error);
            }
            return null;
        });
    }

    private static CompletableFuture<Void> call(Supplier<CompletionStage<Void>> call) {
        try {
            return call.get().toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
