package io.petrel.broker.routing;

import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;

/**
 * The grant of one subscriber for one topic filter, with its MQTT 5.0 subscription options.
 *
 * @param filter            the topic filter as subscribed, without a {@code $share/} prefix
 * @param qos               the maximum QoS the subscriber receives on this filter
 * @param noLocal           true if messages from the subscriber's own connection are not delivered
 * @param retainAsPublished true if forwarded messages keep the publisher's retain flag
 * @param retainHandling    when retained messages are sent on subscribe
 * @param subscriptionId    the MQTT 5.0 subscription identifier, 0 when none was given
 */
public record Grant(String filter, Qos qos, boolean noLocal, boolean retainAsPublished,
                    RetainHandling retainHandling, int subscriptionId) {

    /** Returns a grant with the MQTT 3.1.1 defaults: no options and no subscription identifier. */
    public static Grant of(String filter, Qos qos) {
        return new Grant(filter, qos, false, false, RetainHandling.SEND_ON_SUBSCRIBE, 0);
    }
}
