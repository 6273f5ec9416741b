package io.petrel.broker.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;
import io.petrel.api.hook.AuthorizationAction;
import io.petrel.api.hook.InterceptResult;
import io.petrel.api.hook.ReasonCode;
import io.petrel.api.hook.SubscribeEvent;
import io.petrel.api.hook.UnsubscribeEvent;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.hooks.InterceptorChain;
import io.petrel.broker.routing.Grant;
import io.petrel.broker.routing.ShareName;
import io.petrel.broker.routing.Topics;
import io.petrel.broker.session.Session;
import io.petrel.broker.session.SessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Handles SUBSCRIBE and UNSUBSCRIBE on a connection's event loop. An invalid, unavailable or
 * unauthorized filter, or one an interceptor rejects, is reported in the acknowledgement (SUBACK
 * failure code, MQTT 5.0 UNSUBACK reason code) while the other filters of the same packet take
 * effect. Stateless; while subscribe interceptor stages are pending, the connection queues its later
 * packets.
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
            List<? extends MqttProperties.MqttProperty> ids = subscribe.idAndPropertiesVariableHeader().properties()
                    .getProperties(MqttProperties.SUBSCRIPTION_IDENTIFIER);
            if (!ids.isEmpty()) {
                if (!config.subscriptionIdentifiers()) {
                    // MQTT 5.0 section 3.8.2.1.2: identifiers sent although CONNACK announced them as unavailable.
                    connection.reject(ProtocolViolation.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED,
                            "subscription identifiers are not available");
                    return;
                }
                // MQTT 5.0 section 3.8.2.1.2: one identifier at most, from 1 to 268,435,455.
                if (ids.size() > 1) {
                    connection.reject(ProtocolViolation.PROTOCOL_ERROR, "more than one subscription identifier");
                    return;
                }
                subscriptionId = (Integer) ids.get(0).value();
                if (subscriptionId == 0) {
                    connection.reject(ProtocolViolation.PROTOCOL_ERROR, "subscription identifier 0 is invalid");
                    return;
                }
            }
        }

        Subscribe packet = new Subscribe(subscribe.idAndPropertiesVariableHeader().messageId(), subscriptionId,
                new int[requested.size()], new MqttTopicSubscription[requested.size()]);
        for (int i = 0; i < requested.size(); i++) {
            MqttTopicSubscription subscription = requested.get(i);
            String filter = subscription.topicName();
            String problem = context.registry().checkFilter(filter);
            if (problem != null) {
                context.metrics().protocolViolation(ProtocolViolation.INVALID_FILTER);
                LOG.debug("Client {} subscribed to the invalid filter '{}': {}", connection.clientId(), filter, problem);
                packet.fail(i, mqtt5 ? ProtocolViolation.INVALID_FILTER.reasonCode() : Packets.SUBACK_FAILURE,
                        "invalid topic filter '" + filter + "': " + problem);
                continue;
            }
            if (!available(connection, packet, i, filter)) {
                continue;
            }
            if (ShareName.isShared(filter) && mqtt5 && subscription.option().isNoLocal()) {
                // [MQTT-3.8.3-4]: No Local on a shared subscription is a protocol error.
                connection.reject(ProtocolViolation.PROTOCOL_ERROR, "No Local set on the shared subscription '"
                        + filter + "'");
                return;
            }
            if (!context.hooks().authorizations().allows(connection.clientInfo(), AuthorizationAction.SUBSCRIBE, filter)) {
                packet.fail(i, mqtt5 ? ReasonCode.NOT_AUTHORIZED.value() : Packets.SUBACK_FAILURE,
                        "not authorized to subscribe to '" + filter + "'");
                continue;
            }
            packet.requests[i] = subscription;
        }

        InterceptorChain interceptors = context.hooks().interceptors();
        if (interceptors.subscribeEmpty()) {
            complete(connection, packet, null);
            return;
        }
        List<CompletableFuture<InterceptResult<SubscribeEvent>>> results = new ArrayList<>(requested.size());
        for (MqttTopicSubscription request : packet.requests) {
            results.add(request == null ? null : interceptors.onSubscribe(new SubscribeEvent(connection.clientInfo(),
                    request.topicName(), Qos.of(request.option().qos().value()))));
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(results.stream().filter(Objects::nonNull)
                .toArray(CompletableFuture[]::new));
        HookResults.inPacketOrder(connection, all, ignored -> complete(connection, packet, results));
    }

    /**
     * Subscribes the filters that passed the checks, authorization and interceptors, sends SUBACK and
     * then the retained messages of the new subscriptions.
     *
     * @param results the completed interceptor results by filter index, or null without interceptors
     */
    private static void complete(MqttConnectionHandler connection, Subscribe packet,
                                 List<CompletableFuture<InterceptResult<SubscribeEvent>>> results) {
        ProtocolContext context = connection.context();
        BrokerConfig config = context.config();
        boolean mqtt5 = connection.mqtt5();
        Session session = connection.session();
        int count = packet.codes.length;
        Grant[] retainedFor = new Grant[count];
        boolean[] isNew = new boolean[count];
        List<CompletableFuture<Void>> written = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            MqttTopicSubscription request = packet.requests[i];
            if (request == null) {
                continue;
            }
            String filter = request.topicName();
            Qos qos = Qos.of(request.option().qos().value());
            if (results != null) {
                InterceptResult<SubscribeEvent> result = results.get(i).join();
                if (result.isRejected()) {
                    ReasonCode code = result.reasonCode().allowedInSubAck() ? result.reasonCode() : ReasonCode.UNSPECIFIED_ERROR;
                    packet.fail(i, mqtt5 ? code.value() : Packets.SUBACK_FAILURE, result.reason());
                    continue;
                }
                SubscribeEvent changed = result.changedEvent().orElseThrow();
                if (!changed.filter().equals(filter) && !available(connection, packet, i, changed.filter())) {
                    continue;
                }
                filter = changed.filter();
                qos = changed.qos();
            }
            boolean shared = ShareName.isShared(filter);
            String topicFilter = shared ? ShareName.parse(filter).filter() : filter;
            MqttSubscriptionOption option = request.option();
            Qos granted = Qos.of(Math.min(qos.value(), config.maximumQos()));
            Grant grant = mqtt5
                    ? new Grant(topicFilter, granted, option.isNoLocal() && !shared, option.isRetainAsPublished(),
                            RetainHandling.of(option.retainHandling().value()), packet.subscriptionId)
                    : Grant.of(topicFilter, granted);
            SessionRegistry.Subscribed subscribed = context.registry().subscribe(session, filter, grant);
            isNew[i] = subscribed.isNew();
            written.add(subscribed.written().toCompletableFuture());
            // [MQTT-3.8.4-3]: retained messages are not sent for a shared subscription.
            retainedFor[i] = shared ? null : grant;
            packet.codes[i] = granted.value();
        }

        // A persistent session's SUBACK waits until its subscription records are written; the stages never fail.
        CompletableFuture<Void> allWritten = CompletableFuture.allOf(written.toArray(CompletableFuture[]::new));
        HookResults.inPacketOrder(connection, allWritten,
                ignored -> acknowledge(connection, packet, retainedFor, isNew));
    }

    /** Sends SUBACK, then the retained messages of the new subscriptions. */
    private static void acknowledge(MqttConnectionHandler connection, Subscribe packet, Grant[] retainedFor,
                                    boolean[] isNew) {
        ProtocolContext context = connection.context();
        Session session = connection.session();
        int count = packet.codes.length;
        ChannelHandlerContext ctx = connection.channelContext();
        PacketWriter.write(ctx, Packets.subAck(packet.packetId, packet.codes,
                connection.problemInformation(packet.failure, 2 + count)));
        // Retained messages follow the SUBACK: they go through the session queue, drained after this task.
        for (int i = 0; i < count; i++) {
            if (retainedFor[i] != null) {
                context.router().deliverRetained(session, retainedFor[i], isNew[i]);
            }
        }
    }

    /**
     * Returns true if the broker offers what {@code filter} needs; otherwise records the failure
     * code for filter {@code index} of the packet.
     */
    private static boolean available(MqttConnectionHandler connection, Subscribe packet, int index, String filter) {
        BrokerConfig config = connection.context().config();
        boolean mqtt5 = connection.mqtt5();
        boolean shared = ShareName.isShared(filter);
        if (shared && !config.sharedSubscriptions()) {
            packet.fail(index, mqtt5 ? SHARED_NOT_SUPPORTED : Packets.SUBACK_FAILURE,
                    "shared subscriptions are not available");
            return false;
        }
        String topicFilter = shared ? ShareName.parse(filter).filter() : filter;
        if (!config.wildcardSubscriptions() && Topics.hasWildcard(topicFilter)) {
            packet.fail(index, mqtt5 ? WILDCARDS_NOT_SUPPORTED : Packets.SUBACK_FAILURE,
                    "wildcard subscriptions are not available");
            return false;
        }
        return true;
    }

    /**
     * One SUBSCRIBE on its way through the checks and hooks: the code for each filter, and the
     * filters still to be subscribed. Used on one event loop.
     */
    private static final class Subscribe {

        private final int packetId;
        private final int subscriptionId;
        private final int[] codes;
        private final MqttTopicSubscription[] requests;
        private String failure;

        Subscribe(int packetId, int subscriptionId, int[] codes, MqttTopicSubscription[] requests) {
            this.packetId = packetId;
            this.subscriptionId = subscriptionId;
            this.codes = codes;
            this.requests = requests;
        }

        /** Records a failure code for filter {@code index}; the last reason goes into the SUBACK reason string. */
        void fail(int index, int code, String reason) {
            codes[index] = code;
            requests[index] = null;
            failure = reason;
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
            if (existed) {
                context.hooks().interceptors().onUnsubscribe(new UnsubscribeEvent(connection.clientInfo(), filter));
            }
        }

        ChannelHandlerContext ctx = connection.channelContext();
        int packetId = unsubscribe.idAndPropertiesVariableHeader().messageId();
        PacketWriter.write(ctx, Packets.unsubAck(packetId, codes,
                connection.problemInformation(failure, 2 + codes.length)));
    }
}
