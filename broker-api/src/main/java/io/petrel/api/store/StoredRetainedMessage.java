package io.petrel.api.store;

import io.petrel.api.Message;

import java.util.Objects;

/**
 * A retained message as a {@link RetainedStore} returns it at start: the message and when the broker
 * received it.
 *
 * @param message            the retained message, with its retain flag set
 * @param arrivalEpochMillis when the broker received the message, in milliseconds since the epoch;
 *                           the broker counts the MQTT 5.0 message expiry interval from it
 */
public record StoredRetainedMessage(Message message, long arrivalEpochMillis) {

    /** Checks that the message is present. */
    public StoredRetainedMessage {
        Objects.requireNonNull(message, "message");
    }
}
