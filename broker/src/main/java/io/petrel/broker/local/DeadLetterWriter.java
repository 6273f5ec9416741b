package io.petrel.broker.local;

import io.petrel.api.DeadLetter;
import io.petrel.api.Message;
import io.petrel.api.hook.DeadLetterEvent;
import io.petrel.api.store.DeadLetterStore;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.observability.BrokerMetrics.DropReason;
import io.petrel.broker.observability.RateLimitedLogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Hands failed messages to the dead-letter store: assigns each letter its id, counts it once stored,
 * and counts and logs a letter the store failed to take as a lost message. Thread-safe.
 */
public final class DeadLetterWriter {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterWriter.class);

    private final DeadLetterStore store;
    private final BrokerMetrics metrics;
    private final Consumer<DeadLetterEvent> listener;
    private final RateLimitedLogger storedLog = new RateLimitedLogger(LOG, 10, TimeUnit.SECONDS);
    private final RateLimitedLogger failureLog = new RateLimitedLogger(LOG, 10, TimeUnit.SECONDS);

    /** Creates a writer to {@code store} without a listener for stored letters. */
    public DeadLetterWriter(DeadLetterStore store, BrokerMetrics metrics) {
        this(store, metrics, event -> { });
    }

    /**
     * Creates a writer to {@code store} that passes each stored letter to {@code listener}, the
     * interceptors' dead-letter callback. The listener must not throw.
     */
    public DeadLetterWriter(DeadLetterStore store, BrokerMetrics metrics, Consumer<DeadLetterEvent> listener) {
        this.store = store;
        this.metrics = metrics;
        this.listener = listener;
    }

    /**
     * Stores a letter for {@code message}.
     *
     * @return a stage that completes once the letter is stored, or exceptionally if the store failed.
     *         The failure is already counted and logged.
     */
    CompletableFuture<Void> write(String subscriptionFilter, Message message, DeadLetter.Reason reason, int attempts,
                                  Instant firstFailure, Instant lastFailure, String exceptionClass,
                                  String exceptionMessage) {
        DeadLetter letter = new DeadLetter(UUID.randomUUID().toString(), subscriptionFilter, message, reason,
                attempts, firstFailure, lastFailure, exceptionClass, exceptionMessage);
        CompletionStage<Void> appended;
        try {
            appended = store.append(letter);
        } catch (RuntimeException e) {
            appended = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        appended.whenComplete((ignored, error) -> {
            if (error == null) {
                metrics.deadLettered(reason);
                storedLog.warn("Dead-lettered a message on topic '{}' of the in-process subscription '{}' as {}: "
                                + "{} after {} attempts ({}: {})", message.topic(), subscriptionFilter, letter.id(),
                        reason, attempts, exceptionClass, exceptionMessage);
                listener.accept(new DeadLetterEvent(subscriptionFilter, message, reason.name(), attempts, firstFailure,
                        lastFailure, exceptionClass, exceptionMessage));
                result.complete(null);
            } else {
                metrics.dropped(DropReason.DEAD_LETTER_STORE_FAILED);
                failureLog.error("The dead-letter store failed to store a message on topic '{}' of the in-process "
                        + "subscription '{}'; the message is lost", message.topic(), subscriptionFilter, error);
                result.completeExceptionally(error);
            }
        });
        return result;
    }
}
