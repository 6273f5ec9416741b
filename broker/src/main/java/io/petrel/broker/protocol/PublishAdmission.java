package io.petrel.broker.protocol;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.petrel.api.Message;
import io.petrel.api.hook.AuthorizationAction;
import io.petrel.api.hook.ClientInfo;
import io.petrel.api.hook.InterceptResult;
import io.petrel.api.hook.PublishEvent;
import io.petrel.api.hook.ReasonCode;
import io.petrel.broker.hooks.BrokerHooks;
import io.petrel.broker.hooks.InterceptorChain;
import io.petrel.broker.routing.DeliveryGate;
import io.petrel.broker.routing.MessageRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Takes a checked inbound PUBLISH through the authorizers and the inbound publish interceptors,
 * then routes and acknowledges it, or acknowledges and drops it.
 *
 * <p>A denied or rejected message gets PUBACK or PUBREC with the reason code in MQTT 5.0. MQTT 3.1.1
 * has no negative acknowledgement, so there the message is acknowledged as usual and dropped, as
 * the specification allows. A QoS 0 message is dropped in both versions.
 *
 * <p>Stateless; runs on the connection's event loop. While an interceptor stage is pending, the
 * connection queues its later packets.
 */
final class PublishAdmission {

    private static final Logger LOG = LoggerFactory.getLogger(PublishAdmission.class);

    private static final CompletionStage<Void> SETTLED = CompletableFuture.completedStage(null);

    private PublishAdmission() {
    }

    static void admit(MqttConnectionHandler connection, Message message, int qos, int packetId) {
        BrokerHooks hooks = connection.context().hooks();
        ClientInfo client = connection.clientInfo();
        if (!hooks.authorizations().allows(client, AuthorizationAction.PUBLISH, message.topic())) {
            deny(connection, qos, packetId, ReasonCode.NOT_AUTHORIZED,
                    "not authorized to publish to '" + message.topic() + "'");
            return;
        }
        InterceptorChain interceptors = hooks.interceptors();
        if (interceptors.publishInboundEmpty()) {
            accept(connection, message, qos, packetId);
            return;
        }
        HookResults.inPacketOrder(connection, interceptors.onPublishInbound(new PublishEvent(client, message)),
                result -> finish(connection, message, qos, packetId, result));
    }

    private static void finish(MqttConnectionHandler connection, Message message, int qos, int packetId,
                               InterceptResult<PublishEvent> result) {
        if (result.isRejected()) {
            ReasonCode code = result.reasonCode().allowedInPubAck() ? result.reasonCode() : ReasonCode.UNSPECIFIED_ERROR;
            deny(connection, qos, packetId, code, result.reason());
            return;
        }
        accept(connection, result.changedEvent().map(PublishEvent::message).orElse(message), qos, packetId);
    }

    private static void accept(MqttConnectionHandler connection, Message message, int qos, int packetId) {
        ProtocolContext context = connection.context();
        context.metrics().receivedFromNetwork();
        CompletableFuture<Void> received = qos == 2 ? connection.session().beginInboundQos2(packetId) : null;
        MessageRouter.RouteOutcome outcome = context.router().routeWithBackpressure(message, connection.session());
        byte code = outcome.matched() > 0 ? Packets.SUCCESS : Packets.NO_MATCHING_SUBSCRIBERS;
        // A settled outcome's stage is a minimal stage, whose toCompletableFuture makes a new future on
        // every call. The shared completed future returns itself.
        CompletionStage<Void> queued = outcome.settled() ? DeliveryGate.SETTLED : outcome.allQueued();
        // The acknowledgement waits while a full in-process queue has no room for the message, and until
        // the session store wrote the message for each persistent session and this session's packet
        // identifier.
        if (qos == 1) {
            connection.acks().sendPubAck(packetId, code, queued);
        } else if (qos == 2) {
            connection.acks().send(Packets.pubRec(packetId, code), bothWritten(queued, received));
        }
    }

    /** Returns a stage that completes when both complete, or fails with the first failure. */
    private static CompletionStage<Void> bothWritten(CompletionStage<Void> queued, CompletableFuture<Void> received) {
        if (received.isDone() && !received.isCompletedExceptionally()) {
            return queued;
        }
        return received.thenCombine(queued, (first, second) -> null);
    }

    private static void deny(MqttConnectionHandler connection, int qos, int packetId, ReasonCode code, String reason) {
        LOG.debug("Dropped a QoS {} message of client {}: {} ({})", qos, connection.clientId(), code, reason);
        if (qos == 0) {
            return;
        }
        AckSequencer acks = connection.acks();
        if (!connection.mqtt5()) {
            if (qos == 2) {
                // The exchange goes on with PUBREL and PUBCOMP as for an accepted message.
                connection.session().beginInboundQos2(packetId);
            }
            acks.send(qos == 1 ? Packets.pubAck(packetId, Packets.SUCCESS) : Packets.pubRec(packetId, Packets.SUCCESS),
                    SETTLED);
            return;
        }
        // MQTT 5.0 section 4.3.3: a PUBREC with a failure code ends the QoS 2 exchange, so the packet
        // identifier is not kept for a PUBREL.
        MqttProperties properties = connection.problemInformation(reason, 3);
        byte wireCode = (byte) code.value();
        acks.send(qos == 1 ? Packets.pubAck(packetId, wireCode, properties) : Packets.pubRec(packetId, wireCode, properties),
                SETTLED);
    }
}
