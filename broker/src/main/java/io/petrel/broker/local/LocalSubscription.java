package io.petrel.broker.local;

import io.petrel.api.Message;
import io.petrel.api.MessageHandler;
import io.petrel.api.Qos;
import io.petrel.api.Subscription;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.observability.RateLimitedLogger;
import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.routing.Subscriber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * An in-process subscription: receives messages from any publisher thread into a lock-free queue and
 * runs its handler on its executor, one message at a time in arrival order.
 *
 * <p>Threads: {@link #deliver} may be called from any thread. At most one drain task runs at a time,
 * so the handler is never called concurrently even on a multi-threaded executor; the
 * {@code scheduled} flag orders one drain before the next.
 */
public final class LocalSubscription implements Subscriber, Subscription {

    private static final Logger LOG = LoggerFactory.getLogger(LocalSubscription.class);
    private static final int MAX_MESSAGES_PER_DRAIN = 256;

    private final String filter;
    private final MessageHandler handler;
    private final Executor executor;
    private final BrokerMetrics metrics;
    private final Consumer<LocalSubscription> onClose;
    private final RateLimitedLogger errorLog = new RateLimitedLogger(LOG, 10, TimeUnit.SECONDS);
    // TODO: bound this queue and apply backpressure to publishers; until then a handler slower than
    //  its publishers lets the queue grow without limit.
    private final Queue<Message> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicBoolean active = new AtomicBoolean(true);
    private final Runnable drainTask = this::drain;

    /**
     * Creates a subscription; {@code onClose} removes it from routing and runs once, on the first
     * {@link #close()}.
     */
    public LocalSubscription(String filter, MessageHandler handler, Executor executor, BrokerMetrics metrics,
                             Consumer<LocalSubscription> onClose) {
        this.filter = filter;
        this.handler = handler;
        this.executor = executor;
        this.metrics = metrics;
        this.onClose = onClose;
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

    @Override
    public void close() {
        if (active.compareAndSet(true, false)) {
            onClose.accept(this);
            queue.clear();
        }
    }

    @Override
    public void deliver(EncodedPublish publish, Qos qos, boolean retainFlag) {
        if (!active.get()) {
            return;
        }
        Message message = publish.message();
        if (message.qos() != qos || message.retain() != retainFlag) {
            message = message.toBuilder().qos(qos).retain(retainFlag).build();
        }
        queue.offer(message);
        schedule();
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(drainTask);
            } catch (RejectedExecutionException e) {
                scheduled.set(false);
                errorLog.warn("Executor of the in-process subscription '{}' rejected its handler task; "
                        + "{} messages stay queued", filter, queue.size());
            }
        }
    }

    private void drain() {
        int handled = 0;
        Message message;
        while (handled < MAX_MESSAGES_PER_DRAIN && active.get() && (message = queue.poll()) != null) {
            invoke(message);
            handled++;
        }
        scheduled.set(false);
        if (active.get() && !queue.isEmpty()) {
            schedule();
        }
    }

    private void invoke(Message message) {
        try {
            handler.onMessage(message);
            metrics.deliveredToLocal();
        } catch (Exception | LinkageError | AssertionError e) {
            metrics.handlerError();
            errorLog.warn("Handler of the in-process subscription '{}' failed on topic '{}'",
                    filter, message.topic(), e);
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
