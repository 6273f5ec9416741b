package io.petrel.api.store;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Storage of persistent sessions, so that they survive a restart: sessions with a session expiry
 * interval above 0 (MQTT 5.0), or with clean session 0 (MQTT 3.1.1), and their subscriptions. The
 * broker reads the store once with {@link #load} when it starts and afterwards only writes to it.
 *
 * <p>Implementations must be thread-safe. The write methods are called on network event loops and
 * under the broker's session lock, so they must not block: a store that writes to disk hands the
 * record to its own writer thread. Records of one client are handed over in the order they happened,
 * and the store must write them in that order. Each returned stage completes once its record is
 * written, or exceptionally if it could not be; the broker sends SUBACK for a persistent session only
 * after the stage of its subscription record completes.
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
     * Returns every stored session with its subscriptions, in no particular order. Called once by
     * the broker before it accepts connections; may block.
     */
    List<StoredSession> load();

    /** Releases the store's resources. Called once by the broker when it closes. */
    @Override
    default void close() {
    }
}
