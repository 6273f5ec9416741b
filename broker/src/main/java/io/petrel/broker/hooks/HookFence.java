package io.petrel.broker.hooks;

import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.observability.BrokerMetrics.Hook;
import io.petrel.broker.observability.RateLimitedLogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fences user hooks off from the broker: bounds their stages by {@code hooks.timeout_ms}, and counts
 * and logs their failures with the client identifier, at most one WARN line per hook kind every
 * 10 seconds. Thread-safe.
 */
final class HookFence {

    private static final Logger LOG = LoggerFactory.getLogger(HookFence.class);
    private static final long LOG_INTERVAL_SECONDS = 10;

    private final long timeoutMillis;
    private final BrokerMetrics metrics;
    private final Map<Hook, RateLimitedLogger> logs = new EnumMap<>(Hook.class);

    HookFence(long timeoutMillis, BrokerMetrics metrics) {
        this.timeoutMillis = timeoutMillis;
        this.metrics = metrics;
        for (Hook hook : Hook.values()) {
            logs.put(hook, new RateLimitedLogger(LOG, LOG_INTERVAL_SECONDS, TimeUnit.SECONDS));
        }
    }

    /** Returns the timeout of one hook stage, in milliseconds. */
    long timeoutMillis() {
        return timeoutMillis;
    }

    /**
     * Returns a future that completes as {@code stage} does, or exceptionally with
     * {@link TimeoutException} if {@code stage} is not complete within the timeout. A stage that is
     * already complete schedules no timer.
     */
    <T> CompletableFuture<T> bound(CompletionStage<T> stage) {
        CompletableFuture<T> result = new CompletableFuture<>();
        stage.whenComplete((value, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(value);
            }
        });
        if (!result.isDone()) {
            result.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
        }
        return result;
    }

    /**
     * Counts and logs one failed hook call: a timeout in {@code petrel.hooks.timeouts}, anything else
     * in {@code petrel.hooks.errors}.
     *
     * @param hookName the implementation class, for the log line
     * @param event    what the hook was called for, such as "publish inbound"
     * @param clientId the client the event belongs to; empty for the in-process client
     * @param error    what went wrong; a {@link CompletionException} is unwrapped
     */
    void failed(Hook hook, String hookName, String event, String clientId, Throwable error) {
        Throwable cause = unwrap(error);
        String client = clientId.isEmpty() ? "(in-process)" : clientId;
        RateLimitedLogger log = logs.get(hook);
        if (cause instanceof TimeoutException) {
            metrics.hookTimeout(hook);
            log.warn("The {} {} did not complete the {} of client {} within {} ms ({})", hook.tag(), hookName,
                    event, client, timeoutMillis, "hooks.timeout_ms");
        } else {
            metrics.hookError(hook);
            log.warn("The {} {} failed on the {} of client {}", hook.tag(), hookName, event, client, cause);
        }
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
