package io.petrel.broker.local;

import io.petrel.api.CircuitBreakerPolicy;
import io.petrel.api.CircuitState;
import io.petrel.api.DeadLetter;
import io.petrel.api.Message;
import io.petrel.api.MessageHandler;
import io.petrel.api.Qos;
import io.petrel.api.RetryPolicy;
import io.petrel.api.Subscription;
import io.petrel.api.SubscriptionOptions;
import io.petrel.api.SubscriptionStatus;
import io.petrel.api.UnprocessableMessageException;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.observability.BrokerMetrics.DropReason;
import io.petrel.broker.observability.RateLimitedLogger;
import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.routing.MessageRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * An in-process subscription: takes messages from any publisher thread into its bounded
 * {@link SubscriptionQueue} and runs its handler on its executor, retrying failed messages on the
 * broker's scheduler, dead-lettering those that fail for good, and stopping calls while its
 * {@link CircuitBreaker} is open.
 *
 * <p>At most {@code maxConcurrency} deliveries are in progress at once: running in the handler,
 * waiting for a retry, or parked because the circuit refused their retry. With the default of one,
 * a delivery waiting for a retry holds back every later message, so arrival order is kept.
 *
 * <p>Threads: {@link #offer} and {@link #deliver} are called from any publisher thread. They only
 * append to the queue and submit tasks, so a publisher never runs or waits for the handler, unless
 * the subscription's executor runs tasks on the submitting thread. Handler tasks run on the executor; retry, probe and timeout tasks on the
 * broker's scheduler. {@code lock} guards the circuit breaker, the parked deliveries, the probe
 * timer and every write of {@code inProgress}; it is never held while the handler runs, while
 * logging, or while calling the dead-letter store. Publishers read {@code inProgress} without it:
 * a publisher appends to the queue and then reads {@code inProgress}, and a finishing task lowers
 * {@code inProgress} and then looks at the queue, so at least one of them starts the next delivery.
 */
public final class LocalSubscription implements MessageRouter.BoundedSubscriber, Subscription {

    private static final Logger LOG = LoggerFactory.getLogger(LocalSubscription.class);
    /** Deliveries one handler task runs before it yields its executor thread. */
    private static final int MAX_DELIVERIES_PER_TASK = 256;
    private static final CompletableFuture<Void> SETTLED = CompletableFuture.completedFuture(null);

    private final String filter;
    private final MessageHandler handler;
    private final Executor executor;
    private final RetryPolicy retryPolicy;
    private final CircuitBreakerPolicy breakerPolicy;
    private final int maxConcurrency;
    private final LocalContext context;
    private final BrokerMetrics metrics;
    private final Consumer<LocalSubscription> onClose;
    private final SubscriptionQueue queue;
    private final CircuitBreaker breaker;
    private final RateLimitedLogger handlerErrorLog = new RateLimitedLogger(LOG, 10, TimeUnit.SECONDS);
    private final RateLimitedLogger dropLog = new RateLimitedLogger(LOG, 10, TimeUnit.SECONDS);
    private final AtomicBoolean active = new AtomicBoolean(true);
    private final LongAdder delivered = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder deadLettered = new LongAdder();

    private final Object lock = new Object();
    private final ArrayDeque<Delivery> parked = new ArrayDeque<>();
    private ScheduledFuture<?> probeTimer;
    private volatile int inProgress;

    /**
     * Creates a subscription; {@code onClose} removes it from routing and runs once, on the first
     * {@link #close()}.
     *
     * @param executor the executor that runs the handler: the one in {@code options}, or the broker's pool
     */
    public LocalSubscription(String filter, MessageHandler handler, SubscriptionOptions options, Executor executor,
                             LocalContext context, Consumer<LocalSubscription> onClose) {
        this.filter = filter;
        this.handler = handler;
        this.executor = executor;
        this.retryPolicy = options.retryPolicy();
        this.breakerPolicy = options.circuitBreaker();
        this.maxConcurrency = options.maxConcurrency();
        this.context = context;
        this.metrics = context.metrics();
        this.onClose = onClose;
        this.queue = new SubscriptionQueue(filter, options.queueCapacity(), context.publishTimeout(),
                context.scheduler(), metrics);
        this.breaker = new CircuitBreaker(breakerPolicy);
    }

    @Override
    public String filter() {
        return filter;
    }

    @Override
    public String name() {
        return "in-process subscription '" + filter + "'";
    }

    @Override
    public boolean isActive() {
        return active.get();
    }

    /** Returns the state of the circuit breaker. */
    public CircuitState circuitState() {
        return breaker.state();
    }

    /** Returns the counts and circuit state of this subscription. */
    public SubscriptionStatus status() {
        return new SubscriptionStatus(filter, breaker.state(), queue.occupancy(), delivered.sum(), failed.sum(),
                deadLettered.sum());
    }

    /** Returns the messages accepted and not yet finished. */
    public int queued() {
        return queue.occupancy();
    }

    /**
     * Stops delivery: removes the subscription from routing, and drops the messages still queued,
     * waiting for room or waiting for a retry, counting each. A handler call already running finishes.
     */
    @Override
    public void close() {
        if (!active.compareAndSet(true, false)) {
            return;
        }
        onClose.accept(this);
        queue.clearWaiting();
        List<Delivery> abandoned;
        synchronized (lock) {
            queue.drain();
            abandoned = new ArrayList<>(parked);
            parked.clear();
            if (probeTimer != null) {
                probeTimer.cancel(false);
                probeTimer = null;
            }
        }
        for (Delivery delivery : abandoned) {
            abandon(delivery);
        }
    }

    /**
     * Hands over a message without reporting backpressure. Retained messages sent because the
     * subscription was just made are queued even beyond the capacity; see {@link SubscriptionOptions}.
     */
    @Override
    public void deliver(EncodedPublish publish, io.petrel.broker.routing.Delivery routed) {
        if (!active.get()) {
            return;
        }
        if (routed.onSubscribe()) {
            queue.offerBeyondCapacity(new Delivery(messageFor(publish.message(), routed), this));
            signal();
            return;
        }
        offer(publish, routed);
    }

    @Override
    public CompletableFuture<Void> offer(EncodedPublish publish, io.petrel.broker.routing.Delivery routed) {
        if (!active.get()) {
            return SETTLED;
        }
        Qos qos = routed.qos();
        Delivery delivery = new Delivery(messageFor(publish.message(), routed), this);
        if (queue.offer(delivery)) {
            signal();
            return SETTLED;
        }
        if (breaker.isOpen() && breakerPolicy.deadLetterWhenQueueFull()) {
            return deadLetterWhileOpen(delivery);
        }
        if (qos == Qos.AT_MOST_ONCE) {
            metrics.dropped(DropReason.SUBSCRIPTION_QUEUE_FULL);
            dropLog.warn("Dropped a QoS 0 message on topic '{}': the queue of the in-process subscription '{}' "
                    + "is full (capacity {})", delivery.message.topic(), filter, queue.capacity());
            return SETTLED;
        }
        CompletableFuture<Void> queued = queue.await(delivery);
        signal();
        return queued;
    }

    /** Returns the message as this subscription receives it: delivered QoS, retain flag, identifiers. */
    private static Message messageFor(Message message, io.petrel.broker.routing.Delivery routed) {
        int[] ids = routed.subscriptionIds();
        boolean sameIds = ids.length == message.subscriptionIdentifiers().size();
        for (int i = 0; sameIds && i < ids.length; i++) {
            sameIds = ids[i] == message.subscriptionIdentifiers().get(i);
        }
        if (message.qos() == routed.qos() && message.retain() == routed.retain() && sameIds) {
            return message;
        }
        List<Integer> identifiers = new ArrayList<>(ids.length);
        for (int id : ids) {
            identifiers.add(id);
        }
        return message.toBuilder().qos(routed.qos()).retain(routed.retain()).subscriptionIdentifiers(identifiers).build();
    }

    private CompletableFuture<Void> deadLetterWhileOpen(Delivery delivery) {
        Instant now = context.clock().instant();
        CircuitBreaker.Failure cause = breaker.lastOpeningFailure();
        deadLettered.increment();
        return context.deadLetters().write(filter, delivery.message, DeadLetter.Reason.CIRCUIT_OPEN, 0, now, now,
                cause.exceptionClass(), cause.message());
    }

    /**
     * Starts deliveries after a publish. While the circuit is not closed, every publish also looks
     * at the breaker, so a probe starts as soon as the clock passed the cool-down, even when the
     * probe timer has not fired yet.
     */
    private void signal() {
        if (inProgress < maxConcurrency || breaker.state() != CircuitState.CLOSED) {
            dispatch();
        }
    }

    /** Submits every delivery that may start now, each as its own handler task. */
    private void dispatch() {
        Delivery next;
        while ((next = takeNext()) != null) {
            submit(next);
        }
    }

    /**
     * Takes the next delivery that may start now, counting it as in progress: a parked one first,
     * then the head of the queue. Returns null if none may start.
     */
    private Delivery takeNext() {
        Delivery next;
        synchronized (lock) {
            if (!active.get()) {
                return null;
            }
            boolean fromParked = !parked.isEmpty();
            if (!fromParked && (inProgress >= maxConcurrency || queue.isEmpty())) {
                return null;
            }
            long wait = breaker.millisUntilPermitted(context.clock().millis());
            if (wait != 0) {
                if (wait > 0) {
                    armProbeTimer(wait);
                }
                return null;
            }
            next = fromParked ? parked.pollFirst() : queue.poll();
            if (next == null) {
                return null;
            }
            if (!fromParked) {
                inProgress = inProgress + 1;
            }
            next.probe = breaker.callStarted();
        }
        if (next.probe) {
            logTransition(CircuitState.HALF_OPEN);
        }
        return next;
    }

    /**
     * Hands a delivery to the executor. Returns false if the executor rejected it; the rejection then
     * counts as a failed attempt, and the caller must look for the next delivery itself.
     */
    private boolean submit(Delivery delivery) {
        try {
            executor.execute(delivery);
            return true;
        } catch (RejectedExecutionException e) {
            handlerErrorLog.warn("The executor of the in-process subscription '{}' rejected a handler task; "
                    + "counting it as a failed attempt", filter, e);
            settle(delivery, e);
            return false;
        }
    }

    /** Runs {@code first} and then, on the same thread, the deliveries that may follow it. */
    void runFrom(Delivery first) {
        Delivery delivery = first;
        int handled = 0;
        while (delivery != null) {
            if (!active.get()) {
                abandon(delivery);
                return;
            }
            if (delivery.attempts > 0) {
                metrics.retried();
            }
            Throwable failure = invoke(delivery);
            CircuitState transition = settle(delivery, failure);
            handled++;
            if (handled >= MAX_DELIVERIES_PER_TASK) {
                dispatch();
                return;
            }
            delivery = takeNext();
            if (transition == CircuitState.CLOSED && maxConcurrency > 1) {
                // The probe succeeded: start the parked and queued deliveries in parallel.
                dispatch();
            }
        }
    }

    private Throwable invoke(Delivery delivery) {
        try {
            handler.onMessage(delivery.message);
            return null;
        } catch (Throwable t) {
            // User code is fenced off: any throwable counts as a failed attempt.
            return t;
        }
    }

    /**
     * Accounts for one attempt: counts it, informs the circuit breaker, then frees the delivery's slot
     * or schedules its retry. Returns the circuit state the attempt moved to, or null.
     */
    private CircuitState settle(Delivery delivery, Throwable failure) {
        delivery.attempts++;
        // Only a failure records an Instant, so a successful delivery allocates none.
        Instant failedAt = failure == null ? null : context.clock().instant();
        long nowMillis = failedAt == null ? context.clock().millis() : failedAt.toEpochMilli();
        boolean unprocessable = failure instanceof UnprocessableMessageException;
        boolean exhausted = failure != null && delivery.attempts >= retryPolicy.maxAttempts();
        boolean finished = failure == null || unprocessable || exhausted || !active.get();

        if (failure == null) {
            delivered.increment();
            metrics.deliveredToLocal();
        } else {
            failed.increment();
            metrics.handlerError();
            delivery.recordFailure(failure, failedAt);
            handlerErrorLog.warn("Handler of the in-process subscription '{}' failed on topic '{}' (attempt {} of {})",
                    filter, delivery.message.topic(), delivery.attempts, retryPolicy.maxAttempts(), failure);
        }

        CircuitState transition;
        synchronized (lock) {
            transition = breaker.record(failure, delivery.probe, nowMillis);
            delivery.probe = false;
            if (finished) {
                inProgress = inProgress - 1;
            }
        }
        if (transition != null) {
            logTransition(transition);
        }

        if (unprocessable || exhausted) {
            deadLetter(delivery, unprocessable ? DeadLetter.Reason.UNPROCESSABLE : DeadLetter.Reason.ATTEMPTS_EXHAUSTED);
        } else if (failure != null && !active.get()) {
            metrics.dropped(DropReason.SUBSCRIPTION_CLOSED);
        } else if (failure != null) {
            scheduleRetry(delivery);
        }
        if (finished) {
            queue.release();
        }
        return transition;
    }

    private void deadLetter(Delivery delivery, DeadLetter.Reason reason) {
        deadLettered.increment();
        Throwable error = delivery.lastError;
        context.deadLetters().write(filter, delivery.message, reason, delivery.attempts, delivery.firstFailure,
                delivery.lastFailure, error.getClass().getName(), error.getMessage());
    }

    private void scheduleRetry(Delivery delivery) {
        Duration delay = retryPolicy.delay(delivery.attempts, ThreadLocalRandom.current().nextDouble());
        try {
            context.scheduler().schedule(() -> retryDue(delivery), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // The broker is closing and its scheduler stopped.
            abandon(delivery);
        }
    }

    /** Runs a delivery whose backoff ended, or parks it while the circuit refuses calls. */
    private void retryDue(Delivery delivery) {
        if (!startOrPark(delivery)) {
            return;
        }
        if (delivery.probe) {
            logTransition(CircuitState.HALF_OPEN);
        }
        if (!submit(delivery)) {
            dispatch();
        }
    }

    /**
     * Marks a retried delivery as started if the circuit permits a call, and returns true. Otherwise
     * parks it, or abandons it if the subscription closed, and returns false.
     */
    private boolean startOrPark(Delivery delivery) {
        boolean closed;
        synchronized (lock) {
            // Read under the lock: close() empties the parked deliveries under it, so none is left behind.
            closed = !active.get();
            if (!closed) {
                long wait = breaker.millisUntilPermitted(context.clock().millis());
                if (wait != 0) {
                    parked.addLast(delivery);
                    if (wait > 0) {
                        armProbeTimer(wait);
                    }
                    return false;
                }
                delivery.probe = breaker.callStarted();
                return true;
            }
        }
        abandon(delivery);
        return false;
    }

    /** Schedules a dispatch for when the cool-down ends. Called holding {@code lock}. */
    private void armProbeTimer(long delayMillis) {
        if (probeTimer != null) {
            return;
        }
        try {
            probeTimer = context.scheduler().schedule(this::probeDue, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The broker is closing; close() drops what is left.
        }
    }

    private void probeDue() {
        synchronized (lock) {
            probeTimer = null;
        }
        dispatch();
    }

    /** Drops an in-progress delivery of a closed subscription, freeing its slot. */
    private void abandon(Delivery delivery) {
        metrics.dropped(DropReason.SUBSCRIPTION_CLOSED);
        synchronized (lock) {
            inProgress = inProgress - 1;
        }
        queue.release();
    }

    private void logTransition(CircuitState state) {
        metrics.circuitTransition(state);
        switch (state) {
            case OPEN -> {
                CircuitBreaker.Failure cause = breaker.lastOpeningFailure();
                LOG.info("Opened the circuit of the in-process subscription '{}' after the handler failed with {}: {};"
                                + " one probe message follows in {} ms", filter, cause.exceptionClass(), cause.message(),
                        breakerPolicy.coolDown().toMillis());
            }
            case HALF_OPEN -> LOG.info("The circuit of the in-process subscription '{}' is half-open: delivering one "
                    + "probe message", filter);
            case CLOSED -> LOG.info("Closed the circuit of the in-process subscription '{}': the probe message "
                    + "succeeded", filter);
        }
    }

    @Override
    public boolean isOrigin(Object publisher) {
        return publisher == MessageRouter.LOCAL_PUBLISHER;
    }

    @Override
    public String toString() {
        return name();
    }
}
