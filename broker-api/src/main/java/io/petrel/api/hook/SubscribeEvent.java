package io.petrel.api.hook;

import io.petrel.api.Qos;

import java.util.Objects;

/**
 * One topic filter of a SUBSCRIBE, or an in-process subscription, after authorization. An
 * interceptor may change the filter or lower the QoS through the {@code with...} copies, or reject
 * the filter.
 *
 * @param client the connection, or {@link ClientInfo#inProcess()}
 * @param filter the topic filter; a shared subscription keeps its {@code $share/{group}/} prefix
 * @param qos    the maximum QoS requested
 */
public record SubscribeEvent(ClientInfo client, String filter, Qos qos) {

    /** Checks that the parts are present. */
    public SubscribeEvent {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(qos, "qos");
    }

    /**
     * Returns a copy with another filter. The broker checks it as it checks a filter from a client;
     * an invalid filter counts as an interceptor error.
     */
    public SubscribeEvent withFilter(String changed) {
        return new SubscribeEvent(client, changed, qos);
    }

    /** Returns a copy with another maximum QoS; the broker's {@code mqtt.maximum_qos} still applies. */
    public SubscribeEvent withQos(Qos changed) {
        return new SubscribeEvent(client, filter, changed);
    }
}
