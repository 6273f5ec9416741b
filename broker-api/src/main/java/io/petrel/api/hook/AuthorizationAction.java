package io.petrel.api.hook;

/** The action on a topic that an {@link Authorizer} decides about. */
public enum AuthorizationAction {
    /**
     * Publish to a topic name: a PUBLISH from the client, or its will when the broker publishes it.
     * Denied: PUBACK or PUBREC 0x87 in MQTT 5.0; in MQTT 3.1.1 the message is acknowledged as usual
     * and dropped. A denied QoS 0 message is dropped in both versions.
     */
    PUBLISH,
    /**
     * Subscribe to a topic filter, as the client sent it: a shared subscription keeps its
     * {@code $share/{group}/} prefix. Denied: SUBACK 0x87 in MQTT 5.0, 0x80 in MQTT 3.1.1.
     */
    SUBSCRIBE,
    /**
     * Receive a message on a topic name, checked for each subscriber and each message, retained
     * messages sent on subscribe included. Denied: the message is not sent to that subscriber, and
     * the drop is counted.
     */
    RECEIVE
}
