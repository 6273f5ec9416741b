package io.petrel.api.store;

import java.util.List;
import java.util.Objects;

/**
 * A persistent session as a {@link SessionStore} returns it at start.
 *
 * @param clientId              the client identifier
 * @param expiryIntervalSeconds the session expiry interval in seconds; 0xFFFFFFFF means never
 * @param storedEpochMillis     when the expiry interval started counting, in milliseconds since the
 *                              epoch; the broker ends the session once the interval has passed
 * @param subscriptions         the session's subscriptions
 */
public record StoredSession(String clientId, long expiryIntervalSeconds, long storedEpochMillis,
                            List<StoredSubscription> subscriptions) {

    /** Checks that the values are present and copies the subscriptions. */
    public StoredSession {
        Objects.requireNonNull(clientId, "clientId");
        subscriptions = List.copyOf(subscriptions);
    }
}
