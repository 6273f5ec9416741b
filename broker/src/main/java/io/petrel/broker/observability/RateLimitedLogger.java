package io.petrel.broker.observability;

import org.slf4j.Logger;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logs an INFO, WARN or ERROR line at most once per interval and counts the lines it held back,
 * so a misbehaving client cannot flood the log. A line after held-back ones ends with their count.
 * {@link #logSuppressed()} logs a count that no later line carried, such as at shutdown. Give each
 * kind of line a limiter of its own, so that a count is always of lines like the one it follows.
 * Thread-safe.
 */
public final class RateLimitedLogger {

    private static final int INFO = 0;
    private static final int WARN = 1;
    private static final int ERROR = 2;

    private final Logger logger;
    private final long intervalNanos;
    private final AtomicLong nextAllowedNanos = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();
    /** The level of the last line logged (0 INFO, 1 WARN, 2 ERROR), for {@link #logSuppressed()}. */
    private volatile int lastLevel;

    /** Creates a limiter that lets one line through per {@code interval}. */
    public RateLimitedLogger(Logger logger, long interval, TimeUnit unit) {
        this.logger = logger;
        this.intervalNanos = unit.toNanos(interval);
    }

    /** Logs at INFO unless a line went out less than one interval ago. */
    public void info(String format, Object... arguments) {
        if (acquire()) {
            long count = suppressed.getAndSet(0);
            lastLevel = INFO;
            logger.info(withSuppressed(format, count), withCount(arguments, count));
        }
    }

    /** Logs at WARN unless a line went out less than one interval ago. */
    public void warn(String format, Object... arguments) {
        if (acquire()) {
            long count = suppressed.getAndSet(0);
            lastLevel = WARN;
            logger.warn(withSuppressed(format, count), withCount(arguments, count));
        }
    }

    /** Logs at ERROR unless a line went out less than one interval ago. */
    public void error(String format, Object... arguments) {
        if (acquire()) {
            long count = suppressed.getAndSet(0);
            lastLevel = ERROR;
            logger.error(withSuppressed(format, count), withCount(arguments, count));
        }
    }

    /**
     * Logs how many lines were held back since the last one, at that line's level, unless none were.
     * Call it when the component stops, because no later line would carry the count.
     */
    public void logSuppressed() {
        long count = suppressed.getAndSet(0);
        if (count == 0) {
            return;
        }
        String format = "{} similar lines suppressed since the last one";
        switch (lastLevel) {
            case ERROR -> logger.error(format, count);
            case WARN -> logger.warn(format, count);
            default -> logger.info(format, count);
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

    /** Returns {@code format}, followed by a count placeholder if lines were held back since the last one. */
    private static String withSuppressed(String format, long count) {
        return count == 0 ? format : format + " ({} similar lines suppressed)";
    }

    /** Returns {@code arguments} with {@code count} inserted before a trailing throwable, unless it is 0. */
    private static Object[] withCount(Object[] arguments, long count) {
        if (count == 0) {
            return arguments;
        }
        Object[] extended = new Object[arguments.length + 1];
        int throwableIndex = -1;
        if (arguments.length > 0 && arguments[arguments.length - 1] instanceof Throwable) {
            throwableIndex = arguments.length - 1;
        }
        if (throwableIndex < 0) {
            System.arraycopy(arguments, 0, extended, 0, arguments.length);
            extended[arguments.length] = count;
        } else {
            System.arraycopy(arguments, 0, extended, 0, throwableIndex);
            extended[throwableIndex] = count;
            extended[throwableIndex + 1] = arguments[throwableIndex];
        }
        return extended;
    }
}
