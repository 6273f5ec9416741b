package io.petrel.broker.protocol;

import io.petrel.broker.observability.RateLimitedLogger;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * The rate-limited log of one broker's rejected CONNECTs and connections closed for a protocol
 * violation: one limiter per violation, so that a flood of one kind of mistake does not hide
 * another. Thread-safe.
 */
final class ViolationLog {

    private static final long INTERVAL_SECONDS = 10;

    private final Map<ProtocolViolation, RateLimitedLogger> limiters = new EnumMap<>(ProtocolViolation.class);

    /** Creates limiters that let through one line per violation every 10 seconds. */
    ViolationLog(Logger logger) {
        for (ProtocolViolation violation : ProtocolViolation.values()) {
            limiters.put(violation, new RateLimitedLogger(logger, INTERVAL_SECONDS, TimeUnit.SECONDS));
        }
    }

    /** Returns the limiter for the lines about {@code violation}. */
    RateLimitedLogger of(ProtocolViolation violation) {
        return limiters.get(violation);
    }
}
