package io.petrel.api.hook;

import io.petrel.api.Message;

import java.time.Instant;
import java.util.Objects;

/**
 * A message that an in-process subscription could not handle was moved to the dead-letter store.
 * Observed only.
 *
 * @param subscriptionFilter the topic filter of the subscription whose handler failed
 * @param message            the message as the handler received it
 * @param reason             why it was dead-lettered, such as {@code ATTEMPTS_EXHAUSTED}
 * @param attempts           the handler calls made for the message
 * @param firstFailure       when the first call failed
 * @param lastFailure        when the last call failed
 * @param exceptionClass     the class name of the last exception
 * @param exceptionMessage   the message of the last exception, empty if it had none
 */
public record DeadLetterEvent(String subscriptionFilter, Message message, String reason, int attempts,
                              Instant firstFailure, Instant lastFailure, String exceptionClass,
                              String exceptionMessage) {

    /** Checks that the parts are present; a null exception message becomes empty. */
    public DeadLetterEvent {
        Objects.requireNonNull(subscriptionFilter, "subscriptionFilter");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(firstFailure, "firstFailure");
        Objects.requireNonNull(lastFailure, "lastFailure");
        Objects.requireNonNull(exceptionClass, "exceptionClass");
        exceptionMessage = exceptionMessage == null ? "" : exceptionMessage;
    }
}
