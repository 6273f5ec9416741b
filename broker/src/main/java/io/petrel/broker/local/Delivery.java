package io.petrel.broker.local;

import io.petrel.api.Message;

import java.time.Instant;

/**
 * One message on its way through an in-process subscription, with the history of its failed
 * attempts. A queued message has no delivery object: the drain creates one when the handler fails on
 * it, when it is the circuit breaker's probe, or when several messages may run at once.
 *
 * <p>Threads: a delivery has one owner at a time (the queue, a handler task, a retry timer) and is
 * handed between them through the queue, the executor, the scheduler or the subscription's lock,
 * each of which orders the writes of the previous owner before the reads of the next.
 *
 * <p>A delivery is also the handler task that the subscription's executor runs, so handing it over
 * allocates no task object.
 */
final class Delivery implements Runnable {

    final Message message;
    private final LocalSubscription subscription;
    int attempts;
    Instant firstFailure;
    Instant lastFailure;
    Throwable lastError;
    /** True while this delivery is the circuit breaker's probe. */
    boolean probe;

    Delivery(Message message, LocalSubscription subscription) {
        this.message = message;
        this.subscription = subscription;
    }

    /** Runs this delivery's handler call and the deliveries that may follow it on the same thread. */
    @Override
    public void run() {
        subscription.runTask(this);
    }

    void recordFailure(Throwable error, Instant now) {
        if (firstFailure == null) {
            firstFailure = now;
        }
        lastFailure = now;
        lastError = error;
    }
}
