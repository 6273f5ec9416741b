package io.petrel.broker.observability;

import io.petrel.api.BrokerException;
import org.slf4j.Logger;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The log of failed store writes, at most one line per interval. A store rejects a write on purpose
 * (a full disk, a size cap) with a {@link BrokerException} that gives the reason, and usually logs the
 * rejection itself, so such a failure gets one WARN line with the reason and no stack trace. Any other
 * failure is unexpected and gets an ERROR line with its stack trace. Thread-safe.
 */
public final class StoreFailureLog {

    private final RateLimitedLogger log;

    /** Creates a log that lets one line through per {@code interval}. */
    public StoreFailureLog(Logger logger, long interval, TimeUnit unit) {
        this.log = new RateLimitedLogger(logger, interval, unit);
    }

    /**
     * Logs that a store write failed with {@code error}, which may be wrapped in a
     * {@link CompletionException}.
     *
     * @param write       the write, completing "Failed to", such as {@code store the retained message of
     *                    topic 'a/b' in ChronicleRetainedStore{data/retained}}
     * @param consequence what the failure means for clients, such as {@code its publisher gets a failure}
     */
    public void failed(String write, String consequence, Throwable error) {
        Throwable cause = unwrap(error);
        if (cause instanceof BrokerException) {
            log.warn("Failed to {}: {}. Consequence: {}", write, cause.getMessage(), consequence);
        } else {
            log.error("Failed to {}. Consequence: {}", write, consequence, cause);
        }
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
