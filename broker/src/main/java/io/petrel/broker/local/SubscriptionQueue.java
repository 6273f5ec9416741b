package io.petrel.broker.local;

import io.petrel.api.BrokerException;
import io.petrel.api.Message;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.observability.BrokerMetrics.DropReason;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The bounded queue of one in-process subscription, and the waiting list of QoS 1 and 2 deliveries
 * that found it full.
 *
 * <p>The bound counts the deliveries that were accepted and are not finished: those in the queue
 * and those its consumer took out and still works on (in the handler or waiting for a retry). The
 * consumer calls {@link #release()} when one finishes, or {@link #release(int)} for several, which
 * moves the oldest waiting deliveries into the queue and completes their stages. A drain frees the
 * slots of its finished messages in small groups while no delivery waits, so a few finished ones may
 * still count until the end of the group. A delivery that waits longer than the publish timeout is
 * withdrawn, counted as dropped, and its stage fails with a {@link BrokerException}. At most as many
 * deliveries wait as the queue can contain.
 *
 * <p>Threads: publishers on any thread call {@link #offer} and {@link #await}; the consumer calls
 * {@link #poll}, {@link #isEmpty}, {@link #drain} and {@link #release}. The queue takes one consumer
 * at a time: callers of {@code poll}, {@code isEmpty} and {@code drain} own the subscription's drain
 * (one delivery at a time) or hold its lock (several at a time).
 * While the waiting list is empty, an offer takes no lock: it
 * reserves a slot with a compare-and-set on the occupancy and appends to a lock-free queue. Once a
 * delivery waits, later offers take the waiting list's lock, so that no delivery overtakes one that
 * waits before it. The occupancy changes atomically and the waiting count is volatile, so a
 * publisher that starts to wait and a consumer that frees a slot at the same moment always see each
 * other.
 */
final class SubscriptionQueue {

    private final String filter;
    /** The smallest bound of the waiting list, whatever the queue capacity. */
    static final int MIN_WAITING = 10_000;

    private final int capacity;
    private final Duration publishTimeout;
    private final ScheduledExecutorService scheduler;
    private final BrokerMetrics metrics;
    /** The queued deliveries; its reserved slots are the occupancy. */
    private final DeliveryQueue<Message> queue = new DeliveryQueue<>();
    /**
     * Deliveries in the waiting list, written only under its lock. A field of this object rather than
     * an {@code AtomicInteger}: it changes rarely but both sides read it for every delivery, so it
     * stays beside the final fields they read too, away from the counters that change on every
     * delivery.
     */
    private volatile int waitingCount;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();

    /** A delivery waiting for room, with the stage of its publisher and its timeout. */
    private static final class Waiter {

        final Message message;
        final CompletableFuture<Void> admitted = new CompletableFuture<>();
        ScheduledFuture<?> timeout;

        Waiter(Message message) {
            this.message = message;
        }
    }

    SubscriptionQueue(String filter, int capacity, Duration publishTimeout, ScheduledExecutorService scheduler,
                      BrokerMetrics metrics) {
        this.filter = filter;
        this.capacity = capacity;
        this.publishTimeout = publishTimeout;
        this.scheduler = scheduler;
        this.metrics = metrics;
    }

    /**
     * Appends a delivery if the queue has room and nothing waits; returns false, changing nothing,
     * otherwise.
     */
    boolean offer(Message message) {
        if (waitingCount == 0 && tryReserve()) {
            queue.offer(message);
            return true;
        }
        synchronized (waiting) {
            if (waiting.isEmpty() && tryReserve()) {
                queue.offer(message);
                return true;
            }
        }
        return false;
    }

    /** Appends a delivery even beyond the bound; for retained messages sent on subscribe. */
    void offerBeyondCapacity(Message message) {
        queue.reserve();
        queue.offer(message);
    }

    /**
     * Appends a delivery to the waiting list after {@link #offer} returned false.
     *
     * @return a stage that completes once the delivery entered the queue (possibly at once), or
     *         fails with a {@link BrokerException} when the waiting list is full or the publish
     *         timeout passes first
     */
    CompletableFuture<Void> await(Message message) {
        Waiter waiter = new Waiter(message);
        List<Waiter> admitted;
        synchronized (waiting) {
            if (waiting.size() >= maxWaiting()) {
                metrics.dropped(DropReason.SUBSCRIPTION_QUEUE_FULL);
                return CompletableFuture.failedFuture(new BrokerException("the queue of in-process subscription '"
                        + filter + "' is full (capacity " + capacity + ") and " + waiting.size()
                        + " more messages wait for room; the handler is slower than its publishers: raise "
                        + "SubscriptionOptions.queueCapacity or maxConcurrency, or wait for earlier publish stages"));
            }
            waiting.addLast(waiter);
            waitingCount = waitingCount + 1;
            admitted = admitWaiting();
            if (!admitted.contains(waiter)) {
                waiter.timeout = scheduleTimeout(waiter);
            }
        }
        completeAll(admitted);
        return waiter.admitted;
    }

    /** Takes the oldest delivery out of the queue; it keeps its slot until {@link #release()}. */
    Message poll() {
        return queue.poll();
    }

    /** Returns true if the queue contains no delivery; waiting ones do not count. */
    boolean isEmpty() {
        return queue.isEmpty();
    }

    /**
     * Frees the slot of a finished delivery and moves waiting deliveries into the queue.
     *
     * @return true if a waiting delivery entered the queue
     */
    boolean release() {
        return release(1);
    }

    /**
     * Frees the slots of {@code count} finished deliveries at once and moves waiting deliveries into
     * the queue.
     *
     * @return true if a waiting delivery entered the queue
     */
    boolean release(int count) {
        if (count == 0) {
            return false;
        }
        queue.free(count);
        if (waitingCount == 0) {
            return false;
        }
        List<Waiter> admitted;
        synchronized (waiting) {
            admitted = admitWaiting();
        }
        completeAll(admitted);
        return !admitted.isEmpty();
    }

    /** Returns true if a delivery waits for room. */
    boolean hasWaiting() {
        return waitingCount != 0;
    }

    /** Returns the deliveries accepted and not finished. */
    int occupancy() {
        return queue.reserved();
    }

    /**
     * Returns how many deliveries may wait for room: at least {@link #MIN_WAITING}, so that network
     * publishers, whose acknowledgements are withheld while they wait, are slowed down by their own
     * in-flight windows before any of their messages is refused.
     */
    private int maxWaiting() {
        return Math.max(capacity, MIN_WAITING);
    }

    /** Returns the bound, in deliveries. */
    int capacity() {
        return capacity;
    }

    /**
     * Empties the waiting list when the subscription closes, counting each delivery as dropped.
     * Waiting publishers' stages complete normally: the message went to every subscription that
     * still existed. Call {@link #drain} as well.
     */
    void clearWaiting() {
        List<Waiter> withdrawn;
        synchronized (waiting) {
            withdrawn = new ArrayList<>(waiting);
            waiting.clear();
            waitingCount = 0;
        }
        for (Waiter waiter : withdrawn) {
            cancelTimeout(waiter);
            metrics.dropped(DropReason.SUBSCRIPTION_CLOSED);
            waiter.admitted.complete(null);
        }
    }

    /** Empties the queue when the subscription closes, counting each delivery as dropped. Consumer only. */
    void drain() {
        while (queue.poll() != null) {
            queue.free(1);
            metrics.dropped(DropReason.SUBSCRIPTION_CLOSED);
        }
    }

    private boolean tryReserve() {
        return queue.tryReserve(capacity);
    }

    /** Moves waiting deliveries into free slots, oldest first. Called holding the waiting list's lock. */
    private List<Waiter> admitWaiting() {
        List<Waiter> admitted = new ArrayList<>(0);
        while (!waiting.isEmpty() && tryReserve()) {
            Waiter waiter = waiting.peekFirst();
            // Offer before removing, so that the waiting count stays positive until the delivery is
            // in the queue and no publisher on the lock-free path can overtake it.
            queue.offer(waiter.message);
            waiting.pollFirst();
            waitingCount = waitingCount - 1;
            admitted.add(waiter);
        }
        return admitted;
    }

    private void completeAll(List<Waiter> admitted) {
        for (Waiter waiter : admitted) {
            cancelTimeout(waiter);
            waiter.admitted.complete(null);
        }
    }

    private ScheduledFuture<?> scheduleTimeout(Waiter waiter) {
        try {
            return scheduler.schedule(() -> expire(waiter), publishTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // The broker is closing; clearWaiting() completes the waiter.
            return null;
        }
    }

    private static void cancelTimeout(Waiter waiter) {
        if (waiter.timeout != null) {
            waiter.timeout.cancel(false);
        }
    }

    private void expire(Waiter waiter) {
        synchronized (waiting) {
            if (!waiting.remove(waiter)) {
                return;
            }
            waitingCount = waitingCount - 1;
        }
        metrics.dropped(DropReason.SUBSCRIPTION_PUBLISH_TIMEOUT);
        waiter.admitted.completeExceptionally(new BrokerException("publish timed out after "
                + publishTimeout.toMillis() + " ms waiting for room in the queue of in-process subscription '"
                + filter + "' (capacity " + capacity + "); the message was not delivered to it. Its handler is "
                + "slower than its publishers: raise SubscriptionOptions.queueCapacity or maxConcurrency, or the "
                + "broker's publishTimeout"));
    }
}
