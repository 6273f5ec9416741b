package io.petrel.broker.protocol;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.petrel.broker.BrokerConfig;

/**
 * Builds the MQTT 5.0 CONNACK properties: what the broker supports and its limits, so that a client
 * never has to discover them by breaking one. Stateless.
 */
final class ConnAckProperties {

    private ConnAckProperties() {
    }

    static MqttProperties of(ConnectRequest request, BrokerConfig config) {
        MqttProperties properties = new MqttProperties();
        if (request.assignedClientId()) {
            properties.add(new MqttProperties.StringProperty(MqttProperties.ASSIGNED_CLIENT_IDENTIFIER,
                    request.clientId()));
        }
        if (request.keepAliveOverridden()) {
            properties.add(integer(MqttProperties.SERVER_KEEP_ALIVE, request.keepAliveSeconds()));
        }
        properties.add(integer(MqttProperties.RECEIVE_MAXIMUM, config.receiveMaximum()));
        properties.add(integer(MqttProperties.MAXIMUM_PACKET_SIZE, config.maxPacketSizeBytes()));
        properties.add(integer(MqttProperties.TOPIC_ALIAS_MAXIMUM, config.topicAliasMaximum()));
        // [MQTT-3.2.2-9]: Maximum QoS is sent only when it is below 2.
        if (config.maximumQos() < 2) {
            properties.add(integer(MqttProperties.MAXIMUM_QOS, config.maximumQos()));
        }
        properties.add(flag(MqttProperties.RETAIN_AVAILABLE, config.retainAvailable()));
        properties.add(flag(MqttProperties.WILDCARD_SUBSCRIPTION_AVAILABLE, config.wildcardSubscriptions()));
        properties.add(flag(MqttProperties.SUBSCRIPTION_IDENTIFIER_AVAILABLE, config.subscriptionIdentifiers()));
        properties.add(flag(MqttProperties.SHARED_SUBSCRIPTION_AVAILABLE, config.sharedSubscriptions()));
        if (request.clientLimits().requestResponseInformation() && !config.responseInformation().isEmpty()) {
            properties.add(new MqttProperties.StringProperty(MqttProperties.RESPONSE_INFORMATION,
                    config.responseInformation() + request.clientId()));
        }
        return properties;
    }

    private static MqttProperties.IntegerProperty integer(int id, int value) {
        return new MqttProperties.IntegerProperty(id, value);
    }

    private static MqttProperties.IntegerProperty flag(int id, boolean value) {
        return new MqttProperties.IntegerProperty(id, value ? 1 : 0);
    }
}
