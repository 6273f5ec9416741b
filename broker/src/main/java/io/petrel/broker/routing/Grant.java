package io.petrel.broker.routing;

import io.petrel.api.Qos;

/**
 * What a subscriber was granted for one topic filter.
 *
 * @param filter the topic filter as subscribed
 * @param qos    the maximum QoS the subscriber receives on this filter
 */
public record Grant(String filter, Qos qos) {
}
