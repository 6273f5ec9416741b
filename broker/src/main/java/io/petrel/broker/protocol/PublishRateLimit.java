package io.petrel.broker.protocol;

/**
 * A token bucket that limits the PUBLISH packets of one connection to a number per second, allowing
 * bursts of up to one second's worth. Used only on the connection's event loop.
 */
final class PublishRateLimit {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final int messagesPerSecond;
    private double tokens;
    private long lastRefillNanos;

    /** Creates a full bucket for {@code messagesPerSecond}, which must be positive. */
    PublishRateLimit(int messagesPerSecond, long nowNanos) {
        this.messagesPerSecond = messagesPerSecond;
        this.tokens = messagesPerSecond;
        this.lastRefillNanos = nowNanos;
    }

    /** Takes one token; returns false if the client has used up its rate. */
    boolean tryAcquire(long nowNanos) {
        long elapsed = nowNanos - lastRefillNanos;
        if (elapsed > 0) {
            tokens = Math.min(messagesPerSecond, tokens + (double) elapsed * messagesPerSecond / NANOS_PER_SECOND);
            lastRefillNanos = nowNanos;
        }
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }
}
