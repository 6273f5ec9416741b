package io.petrel.broker.local;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The rules by which the drain tasks of in-process subscriptions share the executor that runs them.
 *
 * <p>A drain task that made its budget of handler calls gives its thread back by submitting itself
 * again, so that other subscriptions' tasks get their turn. When {@code tasksWaiting} returns false,
 * it carries on instead, because a resubmitted task may be taken by another thread that has to be
 * woken first, and the drain would pay that wake-up for nothing. A drain task whose queue ran empty
 * waits up to {@code lingerNanos} for the next message before it stops, even while other tasks wait:
 * with many subscriptions of one busy publisher, a drain that stopped at once would be started again
 * a few microseconds later, and those starts cost more than the wait.
 *
 * @param lingerNanos  how long a drain task waits for the next message once its queue is empty; 0 to
 *                     stop at once
 * @param tasksWaiting true while other tasks wait for a thread of the executor; any thread may call it
 */
public record DrainPacing(long lingerNanos, BooleanSupplier tasksWaiting) {

    /**
     * For an application's executor, which may have other work: no linger, and the thread is given
     * back after every budget of handler calls.
     */
    public static final DrainPacing SHARED_EXECUTOR = new DrainPacing(0, () -> true);

    /**
     * The time a drain task on the broker's own pool polls for the next message: a few microseconds
     * cover the gap between two publishes of a busy publisher.
     */
    private static final long POOL_LINGER_NANOS = TimeUnit.MICROSECONDS.toNanos(5);

    /** Validates the values. */
    public DrainPacing {
        if (lingerNanos < 0) {
            throw new IllegalArgumentException("invalid lingerNanos " + lingerNanos + ": expected 0 or more");
        }
        if (tasksWaiting == null) {
            throw new NullPointerException("tasksWaiting");
        }
    }

    /**
     * For the broker's own handler pool, whose threads run nothing but drain tasks: a linger of a
     * few microseconds, and a drain keeps its thread while {@code tasksWaiting} is false. With a
     * single processor there is no linger, because the publisher cannot run while a drain waits for it.
     */
    public static DrainPacing ownPool(BooleanSupplier tasksWaiting) {
        return ownPool(tasksWaiting, Runtime.getRuntime().availableProcessors());
    }

    /** Returns the pacing of {@link #ownPool(BooleanSupplier)} on a machine with {@code processors} processors. */
    static DrainPacing ownPool(BooleanSupplier tasksWaiting, int processors) {
        return new DrainPacing(processors > 1 ? POOL_LINGER_NANOS : 0, tasksWaiting);
    }
}
