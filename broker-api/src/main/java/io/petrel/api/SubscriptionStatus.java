package io.petrel.api;

import java.util.Objects;

/**
 * A point-in-time view of one in-process subscription. The counts start at zero when the
 * subscription is made.
 *
 * @param filter        the topic filter of the subscription
 * @param circuitState  the state of its circuit breaker; always {@link CircuitState#CLOSED} when the
 *                      breaker is disabled
 * @param queued        messages accepted and not yet finished: waiting for the handler, in it, or
 *                      waiting for a retry
 * @param delivered     messages the handler returned from normally. Queued messages that one
 *                      task hands to the handler in a row, up to 256, are counted when that
 *                      task's batch ends.
 * @param failed        handler calls that threw, retries included
 * @param deadLettered  messages handed to the dead-letter store
 */
public record SubscriptionStatus(
        String filter,
        CircuitState circuitState,
        int queued,
        long delivered,
        long failed,
        long deadLettered) {

    /** Checks that the filter and state are present. */
    public SubscriptionStatus {
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(circuitState, "circuitState");
    }
}
