package io.petrel.broker.observability;

import org.slf4j.Logger;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logs an INFO, WARN or ERROR line at most once per interval and counts the lines it held back,
 * so a misbehaving client cannot flood the log. A line after held-back ones ends with their count.
 * {@link #logSuppressed()} logs a count that no later line carried, such as at shutdown. Give each
 * kind of line a limiter of its own, so that a count is always of lines like the one it follows.
 * String arguments pass through {@link LogText#printable}, because these lines usually carry
 * what a client sent. Thread-safe.
 */
public final class RateLimitedLogger {

    private static final int INFO = 0;
    private static final int WARN = 1;
    private static final int ERROR = 2;

    private final Logger logger;
    private final long intervalNanos;
    private final AtomicLong nextAllowedNanos = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();
    /** The kind of line this limiter logs, for {@link #logSuppressed()}, or null. */
    private final String subject;
    /** The level of the last line logged (0 INFO, 1 WARN, 2 ERROR), for {@link #logSuppressed()}. */
    private volatile int lastLevel;

    /** Creates a limiter that lets one line through per {@code interval}. */
    public RateLimitedLogger(Logger logger, long interval, TimeUnit unit) {
        this(logger, interval, unit, null);
    }

    /**
     * Creates a limiter like {@link #RateLimitedLogger(Logger, long, TimeUnit)} whose count at
     * {@link #logSuppressed()} names its lines by {@code subject}, such as "connections closed for
     * invalid_topic".
     */
    public RateLimitedLogger(Logger logger, long interval, TimeUnit unit, String subject) {
        this.logger = logger;
        this.intervalNanos = unit.toNanos(interval);
        this.subject = subject;
    }

    /** Logs at INFO unless a line went out less than one interval ago. */
    public void info(String format, Object... arguments) {
        if (acquire()) {
            long count = suppressed.getAndSet(0);
            lastLevel = INFO;
            logger.info(withSuppressed(format, count), loggedArguments(arguments, count));
        }
    }

    /** Logs at WARN unless a line went out less than one interval ago. */
    public void warn(String format, Object... arguments) {
        if (acquire()) {
            long count = suppressed.getAndSet(0);
            lastLevel = WARN;
            logger.warn(withSuppressed(format, count), loggedArguments(arguments, count));
        }
    }

    /** Logs at ERROR unless a line went out less than one interval ago. */
    public void error(String format, Object... arguments) {
        if (acquire()) {
            long count = suppressed.getAndSet(0);
            lastLevel = ERROR;
            logger.error(withSuppressed(format, count), loggedArguments(arguments, count));
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
        String lines = count == 1 ? "line" : "lines";
        String format = subject == null ? "{} similar {} held back after the last one logged"
                : "{} {} about " + subject + " held back after the last one logged";
        switch (lastLevel) {
            case ERROR -> logger.error(format, count, lines);
            case WARN -> logger.warn(format, count, lines);
            default -> logger.info(format, count, lines);
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
        if (count == 0) {
            return format;
        }
        return format + (count == 1 ? " ({} similar line suppressed)" : " ({} similar lines suppressed)");
    }

    /**
     * Returns a copy of {@code arguments} with their strings escaped and, unless {@code count} is 0,
     * with {@code count} inserted before a trailing throwable.
     */
    private static Object[] loggedArguments(Object[] arguments, long count) {
        int throwableIndex = arguments.length > 0 && arguments[arguments.length - 1] instanceof Throwable
                ? arguments.length - 1 : arguments.length;
        Object[] extended = new Object[count == 0 ? arguments.length : arguments.length + 1];
        for (int i = 0; i < throwableIndex; i++) {
            extended[i] = arguments[i] instanceof String text ? LogText.printable(text) : arguments[i];
        }
        int next = throwableIndex;
        if (count != 0) {
            extended[next++] = count;
        }
        if (throwableIndex < arguments.length) {
            extended[next] = arguments[throwableIndex];
        }
        return extended;
    }
}
