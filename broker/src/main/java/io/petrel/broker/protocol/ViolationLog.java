package io.petrel.broker.protocol;

import io.petrel.broker.observability.RateLimitedLogger;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * The rate-limited log of one broker's rejected CONNECTs (WARN) and connections closed for a
 * protocol violation (INFO): one limiter per violation and kind of line, so that a flood of one kind
 * of mistake neither hides another nor adds its count to lines about another. Thread-safe.
 */
public final class ViolationLog {

    private static final long INTERVAL_SECONDS = 10;

    private final Map<ProtocolViolation, RateLimitedLogger> rejected = new EnumMap<>(ProtocolViolation.class);
    private final Map<ProtocolViolation, RateLimitedLogger> closed = new EnumMap<>(ProtocolViolation.class);

    /** Creates limiters that let through one line per violation and kind every 10 seconds. */
    ViolationLog(Logger logger) {
        for (ProtocolViolation violation : ProtocolViolation.values()) {
            rejected.put(violation, new RateLimitedLogger(logger, INTERVAL_SECONDS, TimeUnit.SECONDS,
                    "CONNECTs rejected for " + violation.tag()));
            closed.put(violation, new RateLimitedLogger(logger, INTERVAL_SECONDS, TimeUnit.SECONDS,
                    "connections closed for " + violation.tag()));
        }
    }

    /** Returns the limiter for the lines about CONNECTs rejected for {@code violation}. */
    RateLimitedLogger rejected(ProtocolViolation violation) {
        return rejected.get(violation);
    }

    /** Returns the limiter for the lines about connections closed for {@code violation}. */
    RateLimitedLogger closed(ProtocolViolation violation) {
        return closed.get(violation);
    }

    /** Logs the counts of the lines held back since the last line of each kind; called when the broker stops. */
    public void logSuppressed() {
        rejected.values().forEach(RateLimitedLogger::logSuppressed);
        closed.values().forEach(RateLimitedLogger::logSuppressed);
    }
}
