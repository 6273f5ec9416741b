package io.petrel.broker.protocol;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.util.CharsetUtil;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.routing.Topics;
import io.petrel.broker.session.Session;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Handles an inbound PUBLISH at QoS 0, 1 and 2 on a connection's event loop: resolves an MQTT 5.0
 * topic alias, checks the topic and the broker's advertised limits, and hands the message to
 * {@link PublishAdmission}, which authorizes, intercepts, routes and acknowledges it. Stateless;
 * the per-client state is in the session and the handler.
 */
final class InboundPublishing {

    private static final CompletionStage<Void> SETTLED = CompletableFuture.completedStage(null);

    private InboundPublishing() {
    }

    static void onPublish(MqttConnectionHandler connection, PublishPacket publish) {
        BrokerConfig config = connection.context().config();
        PublishRateLimit rateLimit = connection.publishRateLimit();
        if (rateLimit != null && !rateLimit.tryAcquire(System.nanoTime())) {
            connection.reject(ProtocolViolation.QUOTA_EXCEEDED, "more than " + config.maxPublishRate()
                    + " PUBLISH packets per second (" + BrokerConfig.MAX_PUBLISH_RATE + ")");
            return;
        }
        int qos = publish.qos();
        int packetId = publish.packetId();
        String topic = publish.topic();
        if (connection.mqtt5()) {
            if (qos > config.maximumQos()) {
                // [MQTT-3.2.2-11]: a PUBLISH above the advertised Maximum QoS is disconnected with 0x9B.
                connection.reject(ProtocolViolation.QOS_NOT_SUPPORTED,
                        "QoS " + qos + " is above the Maximum QoS " + config.maximumQos());
                return;
            }
            if (publish.retain() && !config.retainAvailable()) {
                // [MQTT-3.2.2-14]: retained messages are not available on this broker.
                connection.reject(ProtocolViolation.RETAIN_NOT_SUPPORTED, "retained messages are not available");
                return;
            }
            topic = resolveTopicAlias(connection, publish, topic);
            if (topic == null) {
                return;
            }
        }
        String problem = Topics.checkTopicName(topic);
        if (problem != null) {
            connection.reject(ProtocolViolation.INVALID_TOPIC, "invalid topic name '" + topic + "': " + problem);
            return;
        }
        Session session = connection.session();
        if (qos == 2 && session.inboundQos2Count() >= config.receiveMaximum()
                && !session.hasInboundQos2(packetId)) {
            // MQTT 5.0 section 4.9: more unacknowledged QoS 2 messages than the Receive Maximum.
            connection.reject(ProtocolViolation.RECEIVE_MAXIMUM_EXCEEDED, "more than " + config.receiveMaximum()
                    + " QoS 2 messages awaiting PUBREL (" + BrokerConfig.RECEIVE_MAXIMUM + ")");
            return;
        }
        if (config.validateUtf8Payloads() && connection.mqtt5() && !payloadMatchesFormat(publish)) {
            rejectPayload(connection, qos, packetId);
            return;
        }

        if (qos == 2 && session.hasInboundQos2(packetId)) {
            // [MQTT-4.3.3-9]: a QoS 2 PUBLISH resent before PUBREL is acknowledged, not routed again.
            connection.acks().send(Packets.pubRec(packetId, Packets.SUCCESS), SETTLED);
            return;
        }
        PublishAdmission.admit(connection, InboundMessages.fromPublish(publish, topic), qos, packetId);
    }

    /**
     * Returns the topic of the PUBLISH after applying its topic alias, or null after rejecting the
     * connection for an invalid alias or for an empty topic without an alias.
     */
    private static String resolveTopicAlias(MqttConnectionHandler connection, PublishPacket publish,
                                            String topic) {
        MqttProperties.MqttProperty<?> aliasProperty = publish.properties().getProperty(MqttProperties.TOPIC_ALIAS);
        if (aliasProperty == null) {
            if (topic.isEmpty()) {
                // MQTT 5.0 section 3.3.2.1: a zero-length Topic Name without a Topic Alias is a Protocol Error.
                connection.reject(ProtocolViolation.PROTOCOL_ERROR, "empty topic name without a topic alias");
                return null;
            }
            return topic;
        }
        int alias = (Integer) aliasProperty.value();
        String[] aliases = connection.inboundTopicAliases();
        if (alias == 0 || aliases == null || alias >= aliases.length) {
            // [MQTT-3.3.2-8], [MQTT-3.3.2-9]: alias 0 or above the Topic Alias Maximum.
            int maximum = aliases == null ? 0 : aliases.length - 1;
            connection.reject(ProtocolViolation.TOPIC_ALIAS_INVALID,
                    "topic alias " + alias + " is outside 1 to " + maximum);
            return null;
        }
        if (!topic.isEmpty()) {
            aliases[alias] = topic;
            return topic;
        }
        String known = aliases[alias];
        if (known == null) {
            connection.reject(ProtocolViolation.PROTOCOL_ERROR,
                    "topic alias " + alias + " used with an empty topic before it was set");
            return null;
        }
        return known;
    }

    private static boolean payloadMatchesFormat(PublishPacket publish) {
        MqttProperties.MqttProperty<?> format = publish.properties().getProperty(MqttProperties.PAYLOAD_FORMAT_INDICATOR);
        if (format == null || (Integer) format.value() != 1) {
            return true;
        }
        return ByteBufUtil.isText(publish.buffer(), publish.payloadIndex(), publish.payloadLength(), CharsetUtil.UTF_8);
    }

    private static void rejectPayload(MqttConnectionHandler connection, int qos, int packetId) {
        if (qos == 0) {
            // QoS 0 has no acknowledgement to carry the reason code, so the connection is closed.
            connection.reject(ProtocolViolation.PAYLOAD_FORMAT_INVALID, "payload marked as UTF-8 is not valid UTF-8");
            return;
        }
        connection.context().metrics().protocolViolation(ProtocolViolation.PAYLOAD_FORMAT_INVALID);
        byte code = (byte) ProtocolViolation.PAYLOAD_FORMAT_INVALID.reasonCode();
        connection.acks().send(qos == 1 ? Packets.pubAck(packetId, code) : Packets.pubRec(packetId, code), SETTLED);
    }
}
