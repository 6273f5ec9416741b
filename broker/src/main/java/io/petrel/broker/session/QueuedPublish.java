package io.petrel.broker.session;

import io.petrel.broker.protocol.EncodedPublish;

/**
 * A message waiting in a session's queue, holding one user reference on its encodings.
 *
 * @param publish the shared message and encodings
 * @param qos     the delivered QoS, 0 to 2
 * @param retain  the retain flag of the outgoing PUBLISH
 */
record QueuedPublish(EncodedPublish publish, int qos, boolean retain) {
}
