package io.petrel.api.store;

import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;

import java.util.Objects;

/**
 * A subscription of a persistent session as a {@link SessionStore} keeps it.
 *
 * @param filter            the filter as the client sent it, {@code $share/} prefix included
 * @param qos               the maximum QoS granted on the filter
 * @param noLocal           the MQTT 5.0 No Local option
 * @param retainAsPublished the MQTT 5.0 Retain As Published option
 * @param retainHandling    the MQTT 5.0 Retain Handling option
 * @param subscriptionId    the MQTT 5.0 subscription identifier, 0 when none was given
 */
public record StoredSubscription(String filter, Qos qos, boolean noLocal, boolean retainAsPublished,
                                 RetainHandling retainHandling, int subscriptionId) {

    /** Checks that the values are present and the identifier is not negative. */
    public StoredSubscription {
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(qos, "qos");
        Objects.requireNonNull(retainHandling, "retainHandling");
        if (subscriptionId < 0) {
            throw new IllegalArgumentException("invalid subscriptionId " + subscriptionId + ": expected 0 or more");
        }
    }
}
