package io.petrel.api.store;

import io.petrel.api.Message;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Storage of persistent sessions, so that they survive a restart: sessions with a session expiry
 * interval above 0 (MQTT 5.0), or with clean session 0 (MQTT 3.1.1), their subscriptions, their
 * queued and in-flight QoS 1 and 2 messages and the identifiers of their unreleased incoming QoS 2
 * messages. The broker reads the store once with {@link #load} when it starts and afterwards only
 * writes to it.
 *
 * <p>Implementations must be thread-safe. The write methods are called on network event loops and
 * under the broker's session lock, so they must not block: a store that writes to disk hands the
 * record to its own writer thread. Records of one client are handed over in the order they happened,
 * and the store must write them in that order. Each returned stage completes once its record is
 * written, or exceptionally if it could not be; the broker sends SUBACK for a persistent session only
 * after the stage of its subscription record completes. A store that rejects a write on purpose,
 * such as when the disk is full, completes the stage with a {@link io.petrel.api.BrokerException}
 * whose message gives the reason. The broker logs that message as a warning without a stack trace,
 * and any other exception as an error with its stack trace.
 *
 * <p>The broker closes the store when it closes. Closing the broker does not end persistent
 * sessions, so it writes no {@link #sessionEnded} records for them.
 */
public interface SessionStore extends AutoCloseable {

    /**
     * Stores a session, or updates the expiry interval and stored time of a stored one; its stored
     * subscriptions stay.
     *
     * @param expiryIntervalSeconds the session expiry interval in seconds, above 0; 0xFFFFFFFF means
     *                              the session never expires
     * @param storedEpochMillis     when the expiry interval starts counting if the client does not
     *                              connect again, in milliseconds since the epoch: the time of the
     *                              connect or disconnect that wrote the record
     */
    CompletionStage<Void> sessionStored(String clientId, long expiryIntervalSeconds, long storedEpochMillis);

    /** Removes a session and its subscriptions. */
    CompletionStage<Void> sessionEnded(String clientId);

    /** Adds or replaces a subscription of a stored session, keyed by its filter. */
    CompletionStage<Void> subscriptionAdded(String clientId, StoredSubscription subscription);

    /**
     * Removes a subscription of a stored session.
     *
     * @param filter the filter as the client sent it, {@code $share/} prefix included
     */
    CompletionStage<Void> subscriptionRemoved(String clientId, String filter);

    /**
     * Stores a QoS 1 or 2 message queued for a stored session.
     *
     * @param messageId          identifies the message within the session; larger than the identifier
     *                           of every message of the session that is still stored. An identifier
     *                           of a removed message may be used again after a restart, so a store
     *                           replays the records of one client in the order they were written
     * @param message            the message as it is delivered to this session (see
     *                           {@link StoredSessionMessage#message})
     * @param arrivalEpochMillis when the broker received the message, in milliseconds since the epoch
     */
    CompletionStage<Void> messageQueued(String clientId, long messageId, Message message, long arrivalEpochMillis);

    /**
     * Records that a queued message was sent with {@code packetId} and awaits PUBACK (QoS 1) or PUBREC
     * (QoS 2). A message that is sent again after a reconnect keeps its packet identifier.
     */
    CompletionStage<Void> messageSent(String clientId, long messageId, int packetId);

    /** Records that PUBREC arrived for a sent QoS 2 message: it awaits PUBCOMP. */
    CompletionStage<Void> messageReleased(String clientId, long messageId);

    /**
     * Removes a message: acknowledged (PUBACK or PUBCOMP), expired, dropped, or handed to another
     * member of its shared subscription group.
     */
    CompletionStage<Void> messageRemoved(String clientId, long messageId);

    /** Records an incoming QoS 2 message that was received and awaits PUBREL. */
    CompletionStage<Void> inboundQos2Received(String clientId, int packetId);

    /** Forgets an incoming QoS 2 packet identifier after its PUBREL. */
    CompletionStage<Void> inboundQos2Released(String clientId, int packetId);

    /**
     * Returns every stored session with its subscriptions, messages and incoming QoS 2 identifiers,
     * in no particular order. Called once by the broker before it accepts connections; may block.
     */
    List<StoredSession> load();

    /** Releases the store's resources. Called once by the broker when it closes. */
    @Override
    default void close() {
    }
}
