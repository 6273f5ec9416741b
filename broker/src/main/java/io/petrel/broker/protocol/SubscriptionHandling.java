package io.petrel.broker.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.routing.Grant;
import io.petrel.broker.routing.ShareName;
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

    /** MQTT 5.0 SUBACK reason code: wildcard subscriptions are not supported. */
    private static final int WILDCARDS_NOT_SUPPORTED = 0xA2;
    /** MQTT 5.0 SUBACK reason code: shared subscriptions are not supported. */
    private static final int SHARED_NOT_SUPPORTED = 0x9E;

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
        BrokerConfig config = context.config();
        boolean mqtt5 = connection.mqtt5();
        int subscriptionId = 0;
        if (mqtt5) {
            MqttProperties.MqttProperty<?> id = subscribe.idAndPropertiesVariableHeader().properties()
                    .getProperty(MqttProperties.SUBSCRIPTION_IDENTIFIER);
            if (id != null) {
                if (!config.subscriptionIdentifiers()) {
                    // MQTT 5.0 section 3.8.2.1.2: identifiers sent although CONNACK said they are unavailable.
                    connection.reject(ProtocolViolation.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED,
                            "subscription identifiers are not available");
                    return;
                }
                subscriptionId = (Integer) id.value();
            }
        }

        Session session = connection.session();
        int[] codes = new int[requested.size()];
        Grant[] granted = new Grant[requested.size()];
        boolean[] isNew = new boolean[requested.size()];
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
            boolean shared = ShareName.isShared(filter);
            String topicFilter = shared ? ShareName.parse(filter).filter() : filter;
            MqttSubscriptionOption option = subscription.option();
            if (shared && !config.sharedSubscriptions()) {
                codes[i] = mqtt5 ? SHARED_NOT_SUPPORTED : Packets.SUBACK_FAILURE;
                failure = "shared subscriptions are not available";
                continue;
            }
            if (!config.wildcardSubscriptions() && Topics.hasWildcard(topicFilter)) {
                codes[i] = mqtt5 ? WILDCARDS_NOT_SUPPORTED : Packets.SUBACK_FAILURE;
                failure = "wildcard subscriptions are not available";
                continue;
            }
            if (shared && mqtt5 && option.isNoLocal()) {
                // [MQTT-3.8.3-4]: No Local on a shared subscription is a protocol error.
                connection.reject(ProtocolViolation.PROTOCOL_ERROR, "No Local set on the shared subscription '"
                        + filter + "'");
                return;
            }
            Qos qos = Qos.of(Math.min(option.qos().value(), config.maximumQos()));
            granted[i] = mqtt5
                    ? new Grant(topicFilter, qos, option.isNoLocal(), option.isRetainAsPublished(),
                            RetainHandling.of(option.retainHandling().value()), subscriptionId)
                    : Grant.of(topicFilter, qos);
            isNew[i] = context.registry().subscribe(session, filter, granted[i]);
            // [MQTT-3.8.4-3]: retained messages are not sent for a shared subscription.
            if (shared) {
                granted[i] = null;
            }
            codes[i] = qos.value();
        }

        ChannelHandlerContext ctx = connection.channelContext();
        int packetId = subscribe.idAndPropertiesVariableHeader().messageId();
        ctx.write(Packets.subAck(packetId, codes, connection.problemInformation(failure, 2 + codes.length)),
                ctx.voidPromise());
        // Retained messages follow the SUBACK: they go through the session queue, drained after this task.
        for (int i = 0; i < granted.length; i++) {
            if (granted[i] != null) {
                context.router().deliverRetained(session, granted[i], isNew[i]);
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
            String problem = context.registry().checkFilter(filter);
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
        ctx.write(Packets.unsubAck(packetId, codes, connection.problemInformation(failure, 2 + codes.length)),
                ctx.voidPromise());
    }
}
