package io.petrel.broker.routing;

import io.petrel.api.Qos;

/**
 * The delivery parameters of one message for one subscriber.
 *
 * @param qos             the delivered QoS: the lower of the published and the granted QoS
 * @param retain          the retain flag of the outgoing PUBLISH
 * @param subscriptionIds the MQTT 5.0 subscription identifiers of the matching subscriptions; empty
 *                        when none had one. Never modified after construction.
 * @param onSubscribe     true for a retained message sent because the subscription was just made,
 *                        false for a live message (which may also carry the retain flag, under
 *                        Retain As Published)
 */
public record Delivery(Qos qos, boolean retain, int[] subscriptionIds, boolean onSubscribe) {

    /** An empty identifier list, shared. */
    public static final int[] NO_SUBSCRIPTION_IDS = new int[0];

    private static final Delivery[] PLAIN = {
        new Delivery(Qos.AT_MOST_ONCE, false, NO_SUBSCRIPTION_IDS, false),
        new Delivery(Qos.AT_LEAST_ONCE, false, NO_SUBSCRIPTION_IDS, false),
        new Delivery(Qos.EXACTLY_ONCE, false, NO_SUBSCRIPTION_IDS, false),
        new Delivery(Qos.AT_MOST_ONCE, true, NO_SUBSCRIPTION_IDS, false),
        new Delivery(Qos.AT_LEAST_ONCE, true, NO_SUBSCRIPTION_IDS, false),
        new Delivery(Qos.EXACTLY_ONCE, true, NO_SUBSCRIPTION_IDS, false),
    };

    /** Returns a shared delivery without subscription identifiers. */
    public static Delivery of(Qos qos, boolean retain) {
        return PLAIN[(retain ? 3 : 0) + qos.value()];
    }

    /** Returns a delivery, shared when there are no subscription identifiers. */
    public static Delivery of(Qos qos, boolean retain, int[] subscriptionIds) {
        return subscriptionIds.length == 0 ? of(qos, retain) : new Delivery(qos, retain, subscriptionIds, false);
    }

    /** Returns a delivery of a retained message to a subscription that was just made. */
    public static Delivery onSubscribe(Qos qos, int[] subscriptionIds) {
        return new Delivery(qos, true, subscriptionIds, true);
    }

    /** Returns true if the outgoing PUBLISH carries subscription identifiers. */
    public boolean hasSubscriptionIds() {
        return subscriptionIds.length > 0;
    }
}
