package io.petrel.api.store;

import io.petrel.api.Message;
import io.petrel.api.Qos;

import java.util.Objects;

/**
 * A QoS 1 or 2 message of a persistent session as a {@link SessionStore} returns it at start: queued
 * and not yet sent, or sent and not yet acknowledged.
 *
 * @param messageId          identifies the message within its session; the broker numbers the
 *                           messages of a session in the order they were queued
 * @param message            the message as it is delivered to this session. Its QoS is the delivered
 *                           QoS (the lower of the published and the granted QoS, 1 or 2). Its retain
 *                           flag is that of the outgoing PUBLISH, and its subscription identifiers are
 *                           those of the matching subscriptions.
 * @param arrivalEpochMillis when the broker received the message, in milliseconds since the epoch;
 *                           the broker counts the MQTT 5.0 message expiry interval from it
 * @param packetId           the packet identifier it was sent with, or 0 if it was not sent yet
 * @param released           true for a QoS 2 message whose PUBREC arrived: only PUBREL and PUBCOMP
 *                           remain, so after a restart the broker sends PUBREL instead of the message
 */
public record StoredSessionMessage(long messageId, Message message, long arrivalEpochMillis, int packetId,
                                   boolean released) {

    /** Checks that the message is present and the values are in range. */
    public StoredSessionMessage {
        Objects.requireNonNull(message, "message");
        if (message.qos() == Qos.AT_MOST_ONCE) {
            throw new IllegalArgumentException("invalid QoS 0 for a stored session message on '" + message.topic()
                    + "': only QoS 1 and 2 messages are stored");
        }
        if (packetId < 0 || packetId > 65_535) {
            throw new IllegalArgumentException("invalid packetId " + packetId + ": expected 0 to 65535");
        }
        if (released && (packetId == 0 || message.qos() != Qos.EXACTLY_ONCE)) {
            throw new IllegalArgumentException("invalid released message " + messageId
                    + ": only a sent QoS 2 message can be released");
        }
    }
}
