package io.petrel.broker.protocol;

import io.petrel.broker.observability.RateLimitedLogger;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * The rate-limited log of one broker's rejected CONNECTs (WARN) and connections closed for a
 * protocol violation (INFO). Each violation and kind of line has a limiter of its own, so that a
 * flood of one kind of mistake neither hides another nor adds its count to lines about another.
 * CONNECTs that an authenticator or connect interceptor rejected share one more limiter.
 * Thread-safe.
 */
public final class ViolationLog {

    private static final long INTERVAL_SECONDS = 10;

    private final Map<ProtocolViolation, RateLimitedLogger> rejected = new EnumMap<>(ProtocolViolation.class);
    private final Map<ProtocolViolation, RateLimitedLogger> closed = new EnumMap<>(ProtocolViolation.class);
    private final RateLimitedLogger rejectedByHook;

    /** Creates limiters that let through one line per violation and kind every 10 seconds. */
    ViolationLog(Logger logger) {
        for (ProtocolViolation violation : ProtocolViolation.values()) {
            rejected.put(violation, new RateLimitedLogger(logger, INTERVAL_SECONDS, TimeUnit.SECONDS,
                    "CONNECTs rejected for " + violation.tag()));
            closed.put(violation, new RateLimitedLogger(logger, INTERVAL_SECONDS, TimeUnit.SECONDS,
                    "connections closed for " + violation.tag()));
        }
        rejectedByHook = new RateLimitedLogger(logger, INTERVAL_SECONDS, TimeUnit.SECONDS,
                "CONNECTs rejected by an authenticator or interceptor");
    }

    /** Returns the limiter for the lines about CONNECTs rejected for {@code violation}. */
    RateLimitedLogger rejected(ProtocolViolation violation) {
        return rejected.get(violation);
    }

    /** Returns the limiter for the lines about CONNECTs that an authenticator or connect interceptor rejected. */
    RateLimitedLogger rejectedByHook() {
        return rejectedByHook;
    }

    /** Returns the limiter for the lines about connections closed for {@code violation}. */
    RateLimitedLogger closed(ProtocolViolation violation) {
        return closed.get(violation);
    }

    /** Logs the count of lines held back since the last line of each kind. The broker calls it when it stops. */
    public void logSuppressed() {
        rejected.values().forEach(RateLimitedLogger::logSuppressed);
        closed.values().forEach(RateLimitedLogger::logSuppressed);
        rejectedByHook.logSuppressed();
    }
}
