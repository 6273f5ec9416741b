package io.petrel.broker.hooks;

import io.petrel.api.BrokerException;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.hook.ClientInfo;
import io.petrel.api.hook.InterceptResult;
import io.petrel.api.hook.PublishEvent;
import io.petrel.api.hook.SubscribeEvent;
import io.petrel.api.hook.UnsubscribeEvent;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Runs the interceptors for the hosting application's in-process publishes and subscriptions, as the
 * {@link ClientInfo#inProcess()} client. The application is trusted, so authorizers are not called.
 *
 * <p>Thread-safe. In-process publishes pass one {@link InOrder}, so messages leave the interceptors
 * in the order the application published them, whichever thread published.
 */
public final class InProcessHooks {

    private final InterceptorChain interceptors;
    private final InOrder publishes = new InOrder();

    InProcessHooks(InterceptorChain interceptors) {
        this.interceptors = interceptors;
    }

    /**
     * Publishes {@code message} through the inbound publish interceptors and then {@code route}, whose
     * stage completes once the subscribers took the message.
     *
     * @return the stage of {@code route}, or a stage that fails with a {@link BrokerException} naming
     *         the reason code if an interceptor rejected the message
     */
    public CompletionStage<Void> publish(Message message, Function<Message, CompletionStage<Void>> route) {
        if (interceptors.publishInboundEmpty()) {
            return route.apply(message);
        }
        CompletableFuture<Void> routed = new CompletableFuture<>();
        publishes.add(interceptors.onPublishInbound(new PublishEvent(ClientInfo.inProcess(), message)), result -> {
            if (result.isRejected()) {
                routed.completeExceptionally(rejected("publish to '" + message.topic() + "'", result));
                return;
            }
            try {
                route.apply(result.changedEvent().map(PublishEvent::message).orElse(message))
                        .whenComplete((ignored, error) -> {
                            if (error != null) {
                                routed.completeExceptionally(error);
                            } else {
                                routed.complete(null);
                            }
                        });
            } catch (RuntimeException e) {
                routed.completeExceptionally(e);
            }
        });
        return routed;
    }

    /**
     * Runs the subscribe interceptors for an in-process subscription and waits for them, at most
     * {@code hooks.timeout_ms} per interceptor.
     *
     * @return the filter and QoS to subscribe with, as the interceptors left them
     * @throws BrokerException if an interceptor rejected the subscription
     */
    public SubscribeEvent subscribe(String filter, Qos maxQos) {
        SubscribeEvent event = new SubscribeEvent(ClientInfo.inProcess(), filter, maxQos);
        if (interceptors.subscribeEmpty()) {
            return event;
        }
        // Broker.subscribe returns the subscription, so it must wait; the chain's timeouts bound the wait.
        InterceptResult<SubscribeEvent> result = interceptors.onSubscribe(event).join();
        if (result.isRejected()) {
            throw rejected("subscription to '" + filter + "'", result);
        }
        return result.changedEvent().orElse(event);
    }

    /** Notifies the interceptors that an in-process subscription was closed. */
    public void unsubscribed(String filter) {
        interceptors.onUnsubscribe(new UnsubscribeEvent(ClientInfo.inProcess(), filter));
    }

    private static BrokerException rejected(String operation, InterceptResult<?> result) {
        return new BrokerException("the " + operation + " was rejected by an interceptor with reason code 0x"
                + Integer.toHexString(result.reasonCode().value()) + " (" + result.reasonCode() + "): "
                + result.reason());
    }
}
