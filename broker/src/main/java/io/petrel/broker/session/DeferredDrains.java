package io.petrel.broker.session;

import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.ThreadExecutorMap;

import java.util.ArrayList;
import java.util.concurrent.RejectedExecutionException;

/**
 * The drains that one event loop requests from other event loops while it processes a batch of
 * reads, handed over once the batch is done instead of once per message, and the flushes of the
 * connections whose reads requested them, which follow the hand-over.
 *
 * <p>A publisher's event loop that routes a read of 50 PUBLISH packets to one subscriber on another
 * loop would otherwise wake that loop up to 50 times. Each wakeup costs a system call on both sides
 * and lets the subscriber's loop drain and flush only the few messages that arrived so far. A
 * deferred request goes out in a task that the requesting loop runs after the I/O of its current
 * iteration, so the subscriber's loop is woken once and drains the whole batch.
 *
 * <p>The acknowledgements that the publishers' reads produced are flushed by the same task, after
 * the hand-over. The subscribers' loops then start draining while this loop writes to the
 * publishers, instead of after one write per publisher. Drains on this loop that were requested
 * before the task was scheduled also run before it.
 *
 * <p>Threads: each instance belongs to one event loop thread and is used only there.
 */
public final class DeferredDrains {

    private static final FastThreadLocal<DeferredDrains> CURRENT = new FastThreadLocal<>();

    private final EventExecutor owner;
    private final ArrayList<Session> sessions = new ArrayList<>();
    private final ArrayList<ChannelHandlerContext> flushes = new ArrayList<>();
    private final Runnable handOverTask = this::handOver;
    private boolean handOverScheduled;

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

    /**
     * Flushes {@code ctx} after the drains that the calling event loop requested so far were handed
     * to their loops, or at once when the caller is not the event loop of {@code ctx}. A connection
     * whose read routed messages calls this instead of flushing, so that the messages reach their
     * subscribers' loops before the acknowledgements are written.
     */
    public static void flushAfterHandOver(ChannelHandlerContext ctx) {
        DeferredDrains drains = ctx.executor().inEventLoop() ? current() : null;
        if (drains == null) {
            ctx.flush();
            return;
        }
        drains.flushes.add(ctx);
        drains.scheduleHandOver();
    }

    /** Returns the event loop this instance belongs to. */
    EventExecutor owner() {
        return owner;
    }

    /**
     * Adds a session whose drain was requested and not yet handed to its loop. The first request of
     * a batch schedules the hand-over on this loop, behind the I/O it is processing.
     */
    void add(Session session) {
        sessions.add(session);
        scheduleHandOver();
    }

    private void scheduleHandOver() {
        if (handOverScheduled) {
            return;
        }
        handOverScheduled = true;
        try {
            owner.execute(handOverTask);
        } catch (RejectedExecutionException e) {
            // This loop is shutting down and runs no more tasks, so hand over at once.
            handOver();
        }
    }

    private void handOver() {
        handOverScheduled = false;
        for (Session session : sessions) {
            session.dispatchDrain();
        }
        sessions.clear();
        // A flush may close its channel, and listeners of the close may request more flushes. Those
        // wait for the next hand-over.
        int count = flushes.size();
        for (int i = 0; i < count; i++) {
            flushes.get(i).flush();
        }
        flushes.subList(0, count).clear();
        if (!flushes.isEmpty() || !sessions.isEmpty()) {
            scheduleHandOver();
        }
    }
}
