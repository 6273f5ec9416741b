package io.petrel.broker.observability;

import org.slf4j.Logger;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logs a WARN or ERROR line at most once per interval and counts the lines it held back, so a
 * misbehaving client cannot flood the log. Thread-safe.
 */
public final class RateLimitedLogger {

    private final Logger logger;
    private final long intervalNanos;
    private final AtomicLong nextAllowedNanos = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    /** Creates a limiter that lets one line through per {@code interval}. */
    public RateLimitedLogger(Logger logger, long interval, TimeUnit unit) {
        this.logger = logger;
        this.intervalNanos = unit.toNanos(interval);
    }

    /** Logs at WARN unless a line went out less than one interval ago. */
    public void warn(String format, Object... arguments) {
        if (acquire()) {
            logger.warn(withSuppressed(format), withCount(arguments));
        }
    }

    /** Logs at ERROR unless a line went out less than one interval ago. */
    public void error(String format, Object... arguments) {
        if (acquire()) {
            logger.error(withSuppressed(format), withCount(arguments));
        }
    }

    private boolean acquire() {
        long now = System.nanoTime();
        long next = nextAllowedNanos.get();
        if ((next == Long.MIN_VALUE || now - next >= 0) && nextAllowedNanos.compareAndSet(next, now + intervalNanos)) {
            return true;
        }
        suppressed.incrementAndGet();
        return false;
    }

    private static String withSuppressed(String format) {
        return format + " ({} similar lines suppressed)";
    }

    private Object[] withCount(Object[] arguments) {
        Object[] extended = new Object[arguments.length + 1];
        int throwableIndex = -1;
        if (arguments.length > 0 && arguments[arguments.length - 1] instanceof Throwable) {
            throwableIndex = arguments.length - 1;
        }
        if (throwableIndex < 0) {
            System.arraycopy(arguments, 0, extended, 0, arguments.length);
            extended[arguments.length] = suppressed.getAndSet(0);
        } else {
            System.arraycopy(arguments, 0, extended, 0, throwableIndex);
            extended[throwableIndex] = suppressed.getAndSet(0);
            extended[throwableIndex + 1] = arguments[throwableIndex];
        }
        return extended;
    }
}
