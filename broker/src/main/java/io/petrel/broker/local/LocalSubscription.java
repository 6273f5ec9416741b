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

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
import java.util.concurrent.atomic.AtomicInteger;
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
 * append to the queue and request a drain, so a publisher never runs or waits for the handler,
 * unless the subscription's executor runs tasks on the submitting thread. With one delivery at a
 * time ({@code maxConcurrency} 1), a drain task calls the handler for a batch of queued messages. At
 * most one drain runs, which makes it the queue's only consumer: an atomic state word
 * ({@code drainState}) starts a drain task on the executor when none runs, or else notifies the
 * running one, which looks at the queue again before it stops. With more, each delivery is its own
 * handler task, which goes on with the next queued message, and consumers take messages out of the
 * queue under {@code lock}. Retry, probe and timeout
 * tasks run on the broker's scheduler. {@code lock} guards the circuit breaker, the parked
 * deliveries, the probe timer and every write of {@code inProgress}; it is never held while the
 * handler runs, while logging, or while calling the dead-letter store. Publishers read
 * {@code inProgress} without it: a publisher appends to the queue and then reads {@code inProgress},
 * and whoever lowers {@code inProgress} then looks at the queue, so at least one of them starts the
 * next delivery.
 */
public final class LocalSubscription implements MessageRouter.MessageSubscriber, Subscription {

    private static final Logger LOG = LoggerFactory.getLogger(LocalSubscription.class);
    private static final VarHandle ACTIVE;
    /** Handler calls one drain task makes before it yields its executor thread. */
    private static final int MAX_DELIVERIES_PER_TASK = 256;
    /** How often a batch that waits for its publisher looks at the queue; see {@link #awaitMessage}. */
    private static final long BATCH_POLL_INTERVAL_NANOS = 1_000;
    /** Finished messages of a batch whose queue slots are freed together. */
    private static final int RELEASE_GROUP = 32;
    /** Drain state: no drain runs. */
    private static final int IDLE = 0;
    /** Drain state: a drain runs. */
    private static final int RUNNING = 1;
    /** Drain state: a drain runs and must look at the queue again before it stops. */
    private static final int NOTIFIED = 2;
    /** Returned by {@link #takeNext} when a batch of queued messages may start; never run. */
    private static final Delivery BATCH = new Delivery(null, null);
    private static final CompletableFuture<Void> SETTLED = CompletableFuture.completedFuture(null);

    static {
        try {
            ACTIVE = MethodHandles.lookup().findVarHandle(LocalSubscription.class, "active", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

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
    /**
     * True until {@link #close()}. A field of its own rather than an {@code AtomicBoolean}, so a
     * publisher reads it from the subscription it loads anyway; only {@code close} writes it.
     */
    private volatile boolean active = true;
    private final LongAdder delivered = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder deadLettered = new LongAdder();
    /** {@link #IDLE}, {@link #RUNNING} or {@link #NOTIFIED}; used only when {@code maxConcurrency} is 1. */
    private final AtomicInteger drainState = new AtomicInteger(IDLE);
    private final Runnable drainTask = () -> drain(true);
    /** The drain tasks' share of the executor: their linger, and when they give the thread back. */
    private final DrainPacing pacing;

    private final Object lock = new Object();
    private final ArrayDeque<Delivery> parked = new ArrayDeque<>();
    private ScheduledFuture<?> probeTimer;
    private volatile int inProgress;

    /**
     * Creates a subscription whose drain tasks stop as soon as its queue is empty and give their
     * thread back after every {@value #MAX_DELIVERIES_PER_TASK} handler calls; {@code onClose}
     * removes it from routing and runs once, on the first {@link #close()}.
     *
     * @param executor the executor that runs the handler: the one in {@code options}, or the broker's pool
     */
    public LocalSubscription(String filter, MessageHandler handler, SubscriptionOptions options, Executor executor,
                             LocalContext context, Consumer<LocalSubscription> onClose) {
        this(filter, handler, options, executor, DrainPacing.SHARED_EXECUTOR, context, onClose);
    }

    /**
     * Creates a subscription whose drain tasks share {@code executor} according to {@code pacing}. The
     * broker passes {@link DrainPacing#ownPool} for its own handler pool, whose threads have nothing
     * else to run.
     */
    public LocalSubscription(String filter, MessageHandler handler, SubscriptionOptions options, Executor executor,
                             DrainPacing pacing, LocalContext context, Consumer<LocalSubscription> onClose) {
        this.pacing = pacing;
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
        return active;
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
     * waiting for room or waiting for a retry, counting each. A handler call already running finishes,
     * and the messages its drain took out of the queue are dropped after it.
     */
    @Override
    public void close() {
        if (!ACTIVE.compareAndSet(this, true, false)) {
            return;
        }
        onClose.accept(this);
        queue.clearWaiting();
        List<Delivery> abandoned;
        synchronized (lock) {
            if (maxConcurrency > 1) {
                queue.drain();
            }
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
        if (maxConcurrency == 1) {
            // A drain of a closed subscription only drops, so it may run on the closing thread.
            requestDrain(true);
        }
    }

    /**
     * Hands over a message without reporting backpressure. Retained messages sent because the
     * subscription was just made are queued even beyond the capacity; see {@link SubscriptionOptions}.
     */
    @Override
    public void deliver(EncodedPublish publish, io.petrel.broker.routing.Delivery routed) {
        if (!active) {
            return;
        }
        if (routed.onSubscribe()) {
            queue.offerBeyondCapacity(messageFor(publish.message(), routed));
            signal();
            return;
        }
        offer(publish, routed);
    }

    @Override
    public CompletableFuture<Void> offer(EncodedPublish publish, io.petrel.broker.routing.Delivery routed) {
        return offer(publish.message(), routed);
    }

    @Override
    public CompletableFuture<Void> offer(Message published, io.petrel.broker.routing.Delivery routed) {
        if (!active) {
            return SETTLED;
        }
        Message message = messageFor(published, routed);
        if (queue.offer(message)) {
            signal();
            return SETTLED;
        }
        if (breaker.isOpen() && breakerPolicy.deadLetterWhenQueueFull()) {
            return deadLetterWhileOpen(message);
        }
        if (routed.qos() == Qos.AT_MOST_ONCE) {
            metrics.dropped(DropReason.SUBSCRIPTION_QUEUE_FULL);
            dropLog.warn("Dropped a QoS 0 message on topic '{}': the queue of the in-process subscription '{}' "
                    + "is full (capacity {})", message.topic(), filter, queue.capacity());
            return SETTLED;
        }
        CompletableFuture<Void> queued = queue.await(message);
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

    private CompletableFuture<Void> deadLetterWhileOpen(Message message) {
        Instant now = context.clock().instant();
        CircuitBreaker.Failure cause = breaker.lastOpeningFailure();
        deadLettered.increment();
        return context.deadLetters().write(filter, message, DeadLetter.Reason.CIRCUIT_OPEN, 0, now, now,
                cause.exceptionClass(), cause.message());
    }

    /**
     * Starts deliveries after a publisher queued a message, unless every slot is taken while the
     * circuit is closed: whoever frees a slot looks at the queue afterwards. While the circuit is not
     * closed, every publish requests a drain, so a probe starts as soon as the clock passed the
     * cool-down, even when the probe timer has not fired yet.
     */
    private void signal() {
        // The append swapped the queue's tail atomically before this read, and whoever lowers
        // inProgress reads the tail afterwards, so one of the two sees the other's write.
        if (inProgress >= maxConcurrency && breaker.state() == CircuitState.CLOSED) {
            return;
        }
        wake();
    }

    /** Starts the deliveries that may start now, on the executor. */
    private void wake() {
        if (maxConcurrency == 1) {
            requestDrain(false);
        } else {
            dispatch();
        }
    }

    /**
     * Makes sure that a drain runs after this call and sees what the caller queued or freed before
     * it, when one delivery runs at a time: starts one if none runs, or else tells the running one to
     * look at the queue again before it stops. One atomic state word decides, so at most one drain
     * runs at a time, and a publisher whose drain is already notified writes nothing.
     *
     * @param inline true to run a new drain on this thread: only on a thread of the executor, or once
     *               the subscription is closed, when a drain only drops messages
     */
    private void requestDrain(boolean inline) {
        // The caller's queue append or slot release came before this read. A drain that is notified
        // makes its next read of the queue's tail and of inProgress after its swap of the state.
        int state = drainState.get();
        while (true) {
            if (state == NOTIFIED) {
                return;
            }
            if (state == RUNNING) {
                if (drainState.compareAndSet(RUNNING, NOTIFIED)) {
                    return;
                }
            } else if (drainState.compareAndSet(IDLE, RUNNING)) {
                if (inline) {
                    drain(false);
                } else {
                    startDrain();
                }
                return;
            }
            state = drainState.get();
        }
    }

    /** Submits the drain task, which continues the drain that the caller owns. */
    private void startDrain() {
        try {
            executor.execute(drainTask);
        } catch (RejectedExecutionException e) {
            handlerErrorLog.warn("The executor of the in-process subscription '{}' rejected a handler task; "
                    + "counting the queued messages' attempts as failed", filter, e);
            failQueued(e);
        }
    }

    /**
     * Runs the queued deliveries that may start, {@value #MAX_DELIVERIES_PER_TASK} handler calls at
     * most before it yields the thread by submitting itself again, unless no other task waits for
     * a thread of the executor. The caller must own the drain.
     */
    private void drain(boolean task) {
        int budget = MAX_DELIVERIES_PER_TASK;
        while (true) {
            budget = drainAvailable(budget, task);
            if (budget == 0) {
                if (!task || pacing.tasksWaiting().getAsBoolean()) {
                    startDrain(); // the resubmitted task continues this drain
                    return;
                }
                // No other task waits, and a resubmitted one might only move to a thread that must be woken.
                budget = MAX_DELIVERIES_PER_TASK;
                continue;
            }
            if (stopDrain()) {
                return;
            }
        }
    }

    /**
     * Waits up to {@code lingerNanos} for the next queued message of a running batch and takes it, or
     * returns null. It looks at the queue only every {@link #BATCH_POLL_INTERVAL_NANOS}, so that
     * publishers can append a few messages in the meantime: a drain that ran right behind its
     * publisher would pull each new message's cache line over from the publisher's core on its own,
     * and end and start a batch for every message. The batch keeps its in-progress slot while it
     * waits, so publishers do not notify the drain either. The caller must own the drain.
     */
    private Message awaitMessage(long lingerNanos) {
        long start = System.nanoTime();
        long lastLook = start;
        while (active) {
            Thread.onSpinWait();
            long now = System.nanoTime();
            if (now - lastLook >= BATCH_POLL_INTERVAL_NANOS) {
                Message message = queue.poll();
                if (message != null || now - start >= lingerNanos) {
                    return message;
                }
                lastLook = now;
            }
        }
        return null;
    }

    /**
     * Stops the caller's drain, or returns false if a notification came in since it last looked at the
     * queue: the drain then carries on.
     */
    private boolean stopDrain() {
        if (drainState.compareAndSet(RUNNING, IDLE)) {
            return true;
        }
        // The atomic swap orders this drain's next look at the queue after the notifier's append.
        drainState.getAndSet(RUNNING);
        return false;
    }

    /**
     * Runs deliveries until none may start or {@code budget} handler calls were made; returns the
     * budget left. The caller must own the drain, which makes it the queue's only consumer.
     */
    private int drainAvailable(int budget, boolean task) {
        while (budget > 0) {
            if (!active) {
                queue.drain();
                return budget;
            }
            int calls = runSequential(budget, task ? pacing.lingerNanos() : 0);
            if (calls < 0) {
                return budget;
            }
            budget -= calls;
        }
        return 0;
    }

    /**
     * Submits every delivery that may start now, each as its own handler task, when up to
     * {@code maxConcurrency} may run at once. Any thread; the lock orders the consumers of the queue.
     */
    private void dispatch() {
        Delivery next;
        while ((next = takeNext(false)) != null) {
            submit(next);
        }
    }

    /**
     * Takes the next delivery that may start now, counting it as in progress: a parked one first,
     * then the head of the queue. Returns null if none may start. With {@code batch}, a queued message
     * that is not the probe stays in the queue and {@link #BATCH} is returned instead, so that the
     * caller polls it without a delivery object.
     */
    private Delivery takeNext(boolean batch) {
        Delivery next;
        synchronized (lock) {
            if (!active) {
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
            boolean probe = breaker.callStarted();
            if (fromParked) {
                next = parked.pollFirst();
            } else {
                inProgress = inProgress + 1;
                if (batch && !probe) {
                    return BATCH;
                }
                next = new Delivery(queue.poll(), this);
            }
            next.probe = probe;
        }
        if (next.probe) {
            logTransition(CircuitState.HALF_OPEN);
        }
        return next;
    }

    /**
     * Runs the next deliveries on this thread when one runs at a time: a parked retry or the probe
     * alone, otherwise a batch of queued messages under one in-progress slot. The lock is taken once
     * to start the batch and once to end it, and a message gets retry state only when its handler
     * fails, which ends the batch. With {@code lingerNanos} above 0, a batch that finds the queue
     * empty waits that long for the next message.
     * Returns the handler calls made, or -1 if none may start now.
     */
    private int runSequential(int budget, long lingerNanos) {
        Delivery next = takeNext(true);
        if (next == null) {
            return -1;
        }
        if (next != BATCH) {
            runAndSettle(next);
            return 1;
        }

        int calls = 0;
        int succeeded = 0;
        int unreleased = 0;
        Message message = queue.poll();
        while (true) {
            if (!active) {
                metrics.dropped(DropReason.SUBSCRIPTION_CLOSED);
                unreleased++;
                break;
            }

            calls++;
            Throwable failure = invoke(message);
            if (failure != null) {
                queue.release(unreleased);
                delivered.add(succeeded);
                metrics.deliveredToLocal(succeeded);
                recordSuccesses(succeeded);
                // The failed message takes over the batch's slot with its retry state.
                settle(new Delivery(message, this), failure);
                return calls;
            }

            succeeded++;
            // Publishers reserve slots on the same counter, so finished messages free their slots in
            // groups, or at once while a publisher waits for room.
            unreleased++;
            if (unreleased == RELEASE_GROUP || queue.hasWaiting()) {
                queue.release(unreleased);
                unreleased = 0;
            }
            if (calls == budget) {
                break;
            }
            message = queue.poll();
            if (message == null && lingerNanos > 0) {
                message = awaitMessage(lingerNanos);
            }
            if (message == null) {
                break;
            }
        }

        queue.release(unreleased);
        delivered.add(succeeded);
        metrics.deliveredToLocal(succeeded);
        synchronized (lock) {
            breaker.recordSuccesses(succeeded);
            inProgress = inProgress - 1;
        }
        return calls;
    }

    private void recordSuccesses(int count) {
        if (count > 0) {
            synchronized (lock) {
                breaker.recordSuccesses(count);
            }
        }
    }

    /**
     * Counts the queued messages' attempts as failed with the executor's rejection, after the executor
     * rejected a drain task. The caller must own the drain, which stops here.
     */
    private void failQueued(RejectedExecutionException rejection) {
        do {
            if (!active) {
                queue.drain();
            }
            Delivery next;
            while ((next = takeNext(false)) != null) {
                settle(next, rejection);
            }
        } while (!stopDrain());
    }

    /**
     * Hands a delivery to the executor. Returns false if the executor rejected it; the rejection then
     * counts as a failed attempt.
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

    /**
     * Runs a delivery submitted as its own task (a retry, or a message when several may run at once),
     * then the deliveries that may follow it on the same thread.
     */
    void runTask(Delivery delivery) {
        if (maxConcurrency == 1) {
            runAndSettle(delivery);
            requestDrain(true);
            return;
        }
        Delivery next = delivery;
        for (int handled = 0; next != null; handled++) {
            if (handled == MAX_DELIVERIES_PER_TASK) {
                dispatch();
                return;
            }
            CircuitState transition = runAndSettle(next);
            next = takeNext(false);
            if (transition == CircuitState.CLOSED) {
                // The probe succeeded: start the parked and queued deliveries in parallel.
                dispatch();
            }
        }
    }

    /** Runs one handler call and accounts for it; returns the circuit state it moved to, or null. */
    private CircuitState runAndSettle(Delivery delivery) {
        if (!active) {
            abandon(delivery);
            return null;
        }
        if (delivery.attempts > 0) {
            metrics.retried();
        }
        return settle(delivery, invoke(delivery.message));
    }

    private Throwable invoke(Message message) {
        try {
            handler.onMessage(message);
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
        boolean finished = failure == null || unprocessable || exhausted || !active;

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
        } else if (failure != null && !active) {
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
            wake();
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
            closed = !active;
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

    /** Schedules a drain for when the cool-down ends. Called holding {@code lock}. */
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
        wake();
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
