package io.petrel.broker.session;

import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.routing.Delivery;
import io.petrel.broker.routing.SharedGroup;

/**
 * A message waiting in a session's queue, holding one user reference on its encodings.
 *
 * @param publish   the shared message and encodings
 * @param delivery  the delivered QoS, retain flag and subscription identifiers
 * @param origin    the shared group the message came through, or null
 * @param messageId the identifier of the message in the session store, or 0 if it is not stored
 */
record QueuedPublish(EncodedPublish publish, Delivery delivery, SharedGroup origin, long messageId) {

    int qos() {
        return delivery.qos().value();
    }
}
