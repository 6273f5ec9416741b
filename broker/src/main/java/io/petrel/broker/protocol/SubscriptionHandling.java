package io.petrel.broker.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.petrel.api.Qos;
import io.petrel.broker.routing.Grant;
import io.petrel.broker.routing.Topics;
import io.petrel.broker.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Handles SUBSCRIBE and UNSUBSCRIBE on a connection's event loop. An invalid filter is reported in
 * the acknowledgement (SUBACK failure code, MQTT 5.0 UNSUBACK reason code) while the valid filters of
 * the same packet take effect. Stateless.
 */
final class SubscriptionHandling {

    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionHandling.class);
    private static final String SHARED_PREFIX = "$share/";

    private SubscriptionHandling() {
    }

    static void onSubscribe(MqttConnectionHandler connection, MqttSubscribeMessage subscribe) {
        List<MqttTopicSubscription> requested = subscribe.payload().topicSubscriptions();
        if (requested.isEmpty()) {
            // [MQTT-3.8.3-3]: a SUBSCRIBE must contain at least one filter.
            connection.reject(ProtocolViolation.PROTOCOL_ERROR, "SUBSCRIBE without a topic filter");
            return;
        }
        ProtocolContext context = connection.context();
        Session session = connection.session();
        boolean mqtt5 = connection.mqtt5();

        int[] codes = new int[requested.size()];
        Grant[] granted = new Grant[requested.size()];
        String failure = null;
        for (int i = 0; i < codes.length; i++) {
            MqttTopicSubscription subscription = requested.get(i);
            String filter = subscription.topicName();
            String problem = context.registry().checkFilter(filter);
            if (problem != null) {
                context.metrics().protocolViolation(ProtocolViolation.INVALID_FILTER);
                LOG.debug("Client {} subscribed to the invalid filter '{}': {}", connection.clientId(), filter, problem);
                codes[i] = mqtt5 ? ProtocolViolation.INVALID_FILTER.reasonCode() : Packets.SUBACK_FAILURE;
                failure = "invalid topic filter '" + filter + "': " + problem;
                continue;
            }
            if (mqtt5 && filter.startsWith(SHARED_PREFIX)) {
                codes[i] = Packets.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED;
                failure = "shared subscriptions are not supported";
                continue;
            }
            Qos qos = Qos.of(subscription.qualityOfService().value());
            granted[i] = new Grant(filter, qos);
            context.registry().subscribe(session, granted[i]);
            codes[i] = qos.value();
        }

        ChannelHandlerContext ctx = connection.channelContext();
        int packetId = subscribe.idAndPropertiesVariableHeader().messageId();
        String reason = mqtt5 && connection.requestProblemInformation() ? failure : null;
        ctx.write(Packets.subAck(packetId, codes, Packets.reasonString(reason)), ctx.voidPromise());
        // Retained messages follow the SUBACK: they go through the session queue, drained after this task.
        for (Grant grant : granted) {
            if (grant != null) {
                context.router().deliverRetained(grant.filter(), session, grant.qos());
            }
        }
    }

    static void onUnsubscribe(MqttConnectionHandler connection, MqttUnsubscribeMessage unsubscribe) {
        List<String> filters = unsubscribe.payload().topics();
        if (filters.isEmpty()) {
            // [MQTT-3.10.3-2]: an UNSUBSCRIBE must contain at least one filter.
            connection.reject(ProtocolViolation.PROTOCOL_ERROR, "UNSUBSCRIBE without a topic filter");
            return;
        }
        ProtocolContext context = connection.context();
        boolean mqtt5 = connection.mqtt5();
        short[] codes = new short[filters.size()];
        String failure = null;
        for (int i = 0; i < codes.length; i++) {
            String filter = filters.get(i);
            String problem = Topics.checkTopicFilter(filter);
            if (problem != null) {
                if (!mqtt5) {
                    // MQTT 3.1.1 UNSUBACK has no per-filter code, so an invalid filter closes the connection.
                    connection.reject(ProtocolViolation.INVALID_FILTER,
                            "invalid topic filter '" + filter + "' in UNSUBSCRIBE: " + problem);
                    return;
                }
                context.metrics().protocolViolation(ProtocolViolation.INVALID_FILTER);
                codes[i] = (short) ProtocolViolation.INVALID_FILTER.reasonCode();
                failure = "invalid topic filter '" + filter + "': " + problem;
                continue;
            }
            boolean existed = context.registry().unsubscribe(connection.session(), filter);
            codes[i] = existed ? Packets.SUCCESS : Packets.NO_SUBSCRIPTION_EXISTED;
        }
        ChannelHandlerContext ctx = connection.channelContext();
        int packetId = unsubscribe.idAndPropertiesVariableHeader().messageId();
        String reason = mqtt5 && connection.requestProblemInformation() ? failure : null;
        ctx.write(Packets.unsubAck(packetId, codes, Packets.reasonString(reason)), ctx.voidPromise());
    }
}
