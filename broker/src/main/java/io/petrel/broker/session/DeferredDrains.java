package io.petrel.broker.session;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.ThreadExecutorMap;

import java.util.ArrayList;
import java.util.concurrent.RejectedExecutionException;

/**
 * The drains that one event loop requests from other event loops while it processes a batch of
 * reads, handed over once the batch is done instead of once per message.
 *
 * <p>A publisher's event loop that routes a read of 50 PUBLISH packets to one subscriber on another
 * loop would otherwise wake that loop up to 50 times. Each wakeup costs a system call on both sides
 * and lets the subscriber's loop drain and flush only the few messages that arrived so far. A
 * deferred request goes out in a task that the requesting loop runs after the I/O of its current
 * iteration, so the subscriber's loop is woken once and drains the whole batch.
 *
 * <p>Threads: each instance belongs to one event loop thread and is used only there.
 */
final class DeferredDrains {

    private static final FastThreadLocal<DeferredDrains> CURRENT = new FastThreadLocal<>();

    private final EventExecutor owner;
    private final ArrayList<Session> sessions = new ArrayList<>();
    private final Runnable handOverTask = this::handOver;

    private DeferredDrains(EventExecutor owner) {
        this.owner = owner;
    }

    /**
     * Returns the deferred drains of the event loop that runs the calling thread, or null when the
     * caller is not an event loop thread (an in-process publisher, for example).
     */
    static DeferredDrains current() {
        EventExecutor executor = ThreadExecutorMap.currentExecutor();
        if (executor == null) {
            return null;
        }
        DeferredDrains drains = CURRENT.get();
        if (drains == null || drains.owner != executor) {
            drains = new DeferredDrains(executor);
            CURRENT.set(drains);
        }
        return drains;
    }

    /** Returns the event loop this instance belongs to. */
    EventExecutor owner() {
        return owner;
    }

    /**
     * Adds a session whose drain was requested and not yet handed to its loop. The first session
     * of a batch schedules the hand-over on this loop, behind the I/O it is processing.
     */
    void add(Session session) {
        sessions.add(session);
        if (sessions.size() == 1) {
            try {
                owner.execute(handOverTask);
            } catch (RejectedExecutionException e) {
                // This loop is shutting down and runs no more tasks: hand over at once.
                handOver();
            }
        }
    }

    private void handOver() {
        for (Session session : sessions) {
            session.dispatchDrain();
        }
        sessions.clear();
    }
}
