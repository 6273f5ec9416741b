package io.petrel.broker.routing;

import io.petrel.api.BrokerException;

/**
 * A store failed to write a record that a publish waits for: a change of retained state, a QoS 1 or 2
 * message queued for a persistent session, or the incoming QoS 2 packet identifier of a persistent
 * session. The publisher gets a failure for the message instead of success. In MQTT 5.0 that is
 * reason 0x97 (quota exceeded), and an MQTT 3.1.1 connection is closed.
 */
public final class StoreWriteException extends BrokerException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception for a failed write.
     *
     * @param record the record that was not written, for the exception message, such as
     *               "the retained message of topic 'a/b'"
     */
    public StoreWriteException(String record, Throwable cause) {
        super("failed to store " + record + ": " + cause, cause);
    }

    /** Creates an exception for the failed write of {@code topic}'s retained message. */
    static StoreWriteException retained(String topic, Throwable cause) {
        return new StoreWriteException("the retained message of topic '" + topic + "'", cause);
    }
}
