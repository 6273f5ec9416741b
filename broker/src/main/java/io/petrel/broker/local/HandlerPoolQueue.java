package io.petrel.broker.local;

import java.util.concurrent.LinkedBlockingQueue;

/**
 * The task queue of the broker's shared handler pool: a {@link LinkedBlockingQueue} whose
 * {@link #take()} polls for up to {@value #SPIN_NANOS} ns before it blocks.
 *
 * <p>A subscription's drain task often ends as soon as its queue is empty, and the next publish
 * submits a new one. If the pool thread had blocked in the meantime, the publisher would have to
 * wake it, a system call that costs it more than routing the message. A pool thread that still polls
 * takes the task without one. The price is at most {@value #SPIN_NANOS} ns of busy CPU per pool
 * thread each time it runs out of tasks.
 *
 * <p>Thread-safe, like its superclass.
 */
public final class HandlerPoolQueue extends LinkedBlockingQueue<Runnable> {

    /** How long {@link #take()} polls before it blocks, in nanoseconds. */
    static final long SPIN_NANOS = 10_000;

    /** Creates an unbounded queue. */
    public HandlerPoolQueue() {
        super();
    }

    /**
     * Removes and returns the head, polling for up to {@value #SPIN_NANOS} ns and then blocking until
     * a task arrives.
     *
     * @throws InterruptedException if interrupted while blocked
     */
    @Override
    public Runnable take() throws InterruptedException {
        Runnable task = poll();
        if (task != null) {
            return task;
        }
        long deadline = System.nanoTime() + SPIN_NANOS;
        do {
            Thread.onSpinWait();
            task = poll();
            if (task != null) {
                return task;
            }
        } while (System.nanoTime() - deadline < 0);
        return super.take();
    }
}
