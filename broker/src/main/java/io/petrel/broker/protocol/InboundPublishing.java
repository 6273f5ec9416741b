package io.petrel.broker.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.petrel.api.Message;
import io.petrel.broker.routing.Topics;
import io.petrel.broker.session.Session;

/**
 * Handles an inbound PUBLISH at QoS 0, 1 and 2 on a connection's event loop: checks the topic, routes
 * the message, and acknowledges it once routed. Stateless; the per-client state is in the session.
 */
final class InboundPublishing {

    private InboundPublishing() {
    }

    static void onPublish(MqttConnectionHandler connection, MqttPublishMessage publish) {
        String topic = publish.variableHeader().topicName();
        if (connection.mqtt5() && publish.variableHeader().properties()
                .getProperty(MqttProperties.TOPIC_ALIAS) != null) {
            // The broker advertises Topic Alias Maximum 0, so any alias exceeds it [MQTT-3.3.2-9].
            connection.reject(ProtocolViolation.TOPIC_ALIAS_INVALID, "topic alias sent, but the maximum is 0");
            return;
        }
        String problem = Topics.checkTopicName(topic);
        if (problem != null) {
            connection.reject(ProtocolViolation.INVALID_TOPIC, "invalid topic name '" + topic + "': " + problem);
            return;
        }
        ProtocolContext context = connection.context();
        ChannelHandlerContext ctx = connection.channelContext();
        Session session = connection.session();
        int qos = publish.fixedHeader().qosLevel().value();
        int packetId = publish.variableHeader().packetId();
        switch (qos) {
            case 0 -> route(context, publish);
            case 1 -> {
                int matched = route(context, publish);
                ctx.write(Packets.pubAck(packetId, reasonCode(matched)), ctx.voidPromise());
            }
            default -> {
                // [MQTT-4.3.3-2]: a QoS 2 PUBLISH resent before PUBREL is acknowledged, not routed again.
                int matched = 1;
                if (session.beginInboundQos2(packetId)) {
                    matched = route(context, publish);
                }
                ctx.write(Packets.pubRec(packetId, reasonCode(matched)), ctx.voidPromise());
            }
        }
    }

    private static int route(ProtocolContext context, MqttPublishMessage publish) {
        Message message = InboundMessages.fromPublish(publish);
        context.metrics().receivedFromNetwork();
        return context.router().route(message);
    }

    private static byte reasonCode(int matched) {
        return matched > 0 ? Packets.SUCCESS : Packets.NO_MATCHING_SUBSCRIBERS;
    }
}
