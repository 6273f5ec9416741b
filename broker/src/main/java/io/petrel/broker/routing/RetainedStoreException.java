package io.petrel.broker.routing;

import io.petrel.api.BrokerException;

/**
 * The retained store failed to write a change of retained state. A publisher waiting for that write
 * gets a failure for the message instead of success (MQTT 5.0: reason 0x97, quota exceeded).
 */
public final class RetainedStoreException extends BrokerException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception for the failed write of {@code topic}'s retained message. */
    public RetainedStoreException(String topic, Throwable cause) {
        super("failed to store the retained message of topic '" + topic + "': " + cause, cause);
    }
}
