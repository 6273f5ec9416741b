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
 * @param messages              its QoS 1 and 2 messages, queued or in flight, in the order they were
 *                              queued (ascending {@link StoredSessionMessage#messageId})
 * @param inboundQos2PacketIds  the packet identifiers of incoming QoS 2 messages that were received
 *                              and not yet released by PUBREL; a PUBLISH resent with one of them is
 *                              not routed again
 */
public record StoredSession(String clientId, long expiryIntervalSeconds, long storedEpochMillis,
                            List<StoredSubscription> subscriptions, List<StoredSessionMessage> messages,
                            List<Integer> inboundQos2PacketIds) {

    /** Checks that the values are present and copies the lists. */
    public StoredSession {
        Objects.requireNonNull(clientId, "clientId");
        subscriptions = List.copyOf(subscriptions);
        messages = List.copyOf(messages);
        inboundQos2PacketIds = List.copyOf(inboundQos2PacketIds);
    }

    /** Creates a stored session without messages and without incoming QoS 2 identifiers. */
    public StoredSession(String clientId, long expiryIntervalSeconds, long storedEpochMillis,
                         List<StoredSubscription> subscriptions) {
        this(clientId, expiryIntervalSeconds, storedEpochMillis, subscriptions, List.of(), List.of());
    }
}
