package io.petrel.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A message that an in-process subscription could not handle, kept in the dead-letter store until
 * it is replayed or purged.
 *
 * @param id                 unique identifier, assigned by the broker when the message is dead-lettered
 * @param subscriptionFilter topic filter of the subscription whose handler failed
 * @param message            the message as the handler received it: topic, payload, QoS at which it
 *                           was delivered, retain flag and MQTT 5.0 properties
 * @param reason             why the message was dead-lettered
 * @param attempts           handler calls made for the message; 0 when it never reached the handler
 *                           because the circuit was open
 * @param firstFailure       when the first handler call failed
 * @param lastFailure        when the last handler call failed, which is when the message was
 *                           dead-lettered; for {@link Reason#CIRCUIT_OPEN} both times are when the
 *                           message was refused
 * @param exceptionClass     fully qualified class name of the exception from the last failed call;
 *                           for {@link Reason#CIRCUIT_OPEN}, of the failure that last opened the circuit
 * @param exceptionMessage   message of that exception, empty if it had none
 */
public record DeadLetter(
        String id,
        String subscriptionFilter,
        Message message,
        Reason reason,
        int attempts,
        Instant firstFailure,
        Instant lastFailure,
        String exceptionClass,
        String exceptionMessage) {

    /** Reason a message was dead-lettered. */
    public enum Reason {
        /** The handler threw on every attempt that the subscription's retry policy allows. */
        ATTEMPTS_EXHAUSTED,
        /** The handler threw {@link UnprocessableMessageException}, which skips retries. */
        UNPROCESSABLE,
        /** The subscription's circuit was open and its queue full when the message arrived. */
        CIRCUIT_OPEN
    }

    /**
     * Checks the values; a null {@code exceptionMessage} becomes empty.
     *
     * @throws IllegalArgumentException if {@code attempts} is negative or {@code lastFailure} is before
     *                                  {@code firstFailure}
     */
    public DeadLetter {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(subscriptionFilter, "subscriptionFilter");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(firstFailure, "firstFailure");
        Objects.requireNonNull(lastFailure, "lastFailure");
        Objects.requireNonNull(exceptionClass, "exceptionClass");
        exceptionMessage = exceptionMessage == null ? "" : exceptionMessage;
        if (attempts < 0) {
            throw new IllegalArgumentException("invalid attempts " + attempts + ": expected 0 or more");
        }
        if (lastFailure.isBefore(firstFailure)) {
            throw new IllegalArgumentException("invalid lastFailure " + lastFailure
                    + ": expected at or after firstFailure " + firstFailure);
        }
    }
}
