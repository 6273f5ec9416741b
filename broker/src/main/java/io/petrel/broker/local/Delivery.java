package io.petrel.broker.local;

import io.petrel.api.Message;

import java.time.Instant;

/**
 * One message on its way through an in-process subscription, with the history of its failed
 * attempts.
 *
 * <p>Threads: a delivery has one owner at a time (the queue, a handler task, a retry timer) and is
 * handed between them through the queue, the executor, the scheduler or the subscription's lock,
 * each of which orders the writes of the previous owner before the reads of the next.
 */
final class Delivery {

    final Message message;
    int attempts;
    Instant firstFailure;
    Instant lastFailure;
    Throwable lastError;
    /** True while this delivery is the circuit breaker's probe. */
    boolean probe;

    Delivery(Message message) {
        this.message = message;
    }

    void recordFailure(Throwable error, Instant now) {
        if (firstFailure == null) {
            firstFailure = now;
        }
        lastFailure = now;
        lastError = error;
    }
}
