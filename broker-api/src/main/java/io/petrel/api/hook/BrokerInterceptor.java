package io.petrel.api.hook;

import java.util.concurrent.CompletionStage;

/**
 * Observes, changes or rejects what passes through the broker, for network clients and for the
 * hosting application's in-process publishes and subscriptions alike. Every method has a default
 * that changes nothing, so an implementation overrides only the events it needs. The broker calls
 * only the methods an interceptor overrides.
 *
 * <p>Order: interceptors run in the order they were registered on the builder, then those found in
 * the plugins directory, jar by jar in file name order. Each receives the event as the one before
 * changed it, and a rejection ends the chain.
 *
 * <p>Threads: methods are called on network event loops, on the threads of in-process publishers
 * and on the broker's own threads, for many clients at once, so implementations must be thread-safe
 * and must not block. The stage of a method that returns one may complete on any thread. The broker
 * waits for it at most {@code hooks.timeout_ms}, and holds back the later packets of that connection
 * meanwhile, so their order is kept. Methods that return nothing are observations: they run on the
 * thread of the event and should return quickly.
 *
 * <p>Failures: an interceptor that throws, returns null, returns an invalid change (a topic or filter
 * that breaks the MQTT rules) or lets its stage time out is counted in
 * {@code petrel.hooks.errors{hook=interceptor}} (timeouts in {@code petrel.hooks.timeouts}), logged at
 * WARN with the client identifier, and the event is treated as {@link #fallbackPolicy()} says.
 */
public interface BrokerInterceptor {

    /** Returns what happens to an event when this interceptor fails. Default: {@link FallbackPolicy#PROCEED}. */
    default FallbackPolicy fallbackPolicy() {
        return FallbackPolicy.PROCEED;
    }

    /**
     * Called for a network client that passed authentication, before its session is attached. A
     * rejection sends CONNACK with the reason code (in MQTT 3.1.1 the closest return code, see
     * {@link ReasonCode#connectReturnCodeV3()}) and closes the connection.
     */
    default CompletionStage<InterceptResult<ConnectEvent>> onConnect(ConnectEvent event) {
        return InterceptResult.proceedStage();
    }

    /** Called after the broker sent CONNACK to a client whose CONNECT was valid. */
    default void onConnAck(ConnAckEvent event) {
    }

    /** Called when a connection that completed CONNECT closes. */
    default void onDisconnect(DisconnectEvent event) {
    }

    /**
     * Called for each message a client or the hosting application publishes, after authorization
     * and before routing, and for a will when the broker publishes it. A rejection sends PUBACK or
     * PUBREC with the reason code in MQTT 5.0; in MQTT 3.1.1, and at QoS 0, the message is
     * acknowledged as usual and dropped. An in-process publish that is rejected completes its stage
     * exceptionally.
     */
    default CompletionStage<InterceptResult<PublishEvent>> onPublishInbound(PublishEvent event) {
        return InterceptResult.proceedStage();
    }

    /**
     * Called for each message on its way to one subscriber, network or in-process, retained messages
     * sent on subscribe included, after the subscriber's receive authorization. A rejection means the
     * message is not delivered to that subscriber; the drop is counted.
     */
    default CompletionStage<InterceptResult<PublishEvent>> onPublishOutbound(PublishEvent event) {
        return InterceptResult.proceedStage();
    }

    /**
     * Called for each topic filter of a SUBSCRIBE that passed authorization, and for each in-process
     * subscription. A rejection sends the reason code in SUBACK (0x80 in MQTT 3.1.1), or makes
     * {@code Broker.subscribe} throw.
     */
    default CompletionStage<InterceptResult<SubscribeEvent>> onSubscribe(SubscribeEvent event) {
        return InterceptResult.proceedStage();
    }

    /** Called for each filter a client unsubscribes from, and for each closed in-process subscription. */
    default void onUnsubscribe(UnsubscribeEvent event) {
    }

    /** Called after a message of an in-process subscription was moved to the dead-letter store. */
    default void onDeadLetter(DeadLetterEvent event) {
    }
}
