package io.petrel.broker.protocol;

/**
 * The per-subscriber parts of an MQTT 5.0 PUBLISH that stop it from sharing an encoding with other
 * subscribers.
 *
 * @param subscriptionIds      the subscription identifiers to include, possibly empty
 * @param expiryIntervalSeconds the remaining message expiry interval, or -1 when the message has none
 * @param topicAlias           the topic alias to send, or 0 for none
 * @param omitTopic            true to send an empty topic name because the alias is already known to
 *                             the client
 */
record PublishVariant(int[] subscriptionIds, long expiryIntervalSeconds, int topicAlias, boolean omitTopic) {

    static final PublishVariant NONE = new PublishVariant(new int[0], -1, 0, false);
}
