package io.petrel.broker.hooks;

import io.petrel.api.hook.BrokerInterceptor;
import io.petrel.api.hook.ConnAckEvent;
import io.petrel.api.hook.ConnectEvent;
import io.petrel.api.hook.DeadLetterEvent;
import io.petrel.api.hook.DisconnectEvent;
import io.petrel.api.hook.FallbackPolicy;
import io.petrel.api.hook.InterceptResult;
import io.petrel.api.hook.PublishEvent;
import io.petrel.api.hook.ReasonCode;
import io.petrel.api.hook.SubscribeEvent;
import io.petrel.api.hook.UnsubscribeEvent;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.observability.BrokerMetrics.Hook;
import io.petrel.broker.observability.BrokerMetrics.RejectableEvent;
import io.petrel.broker.routing.Topics;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The installed {@link BrokerInterceptor}s in registration order, with one list per event that
 * contains only the interceptors overriding that event's method, so that an event no interceptor
 * handles costs one emptiness check.
 *
 * <p>Each interceptor gets the event as the previous one left it; a rejection ends the chain. An
 * interceptor that fails (throws, returns null, times out, or changes a topic or filter into an
 * invalid one) is counted and logged by the {@link HookFence}, and its {@link FallbackPolicy}, read
 * once at construction, decides: PROCEED passes the event on as it was before that interceptor,
 * REJECT rejects it with {@link ReasonCode#UNSPECIFIED_ERROR}.
 *
 * <p>Thread-safe. The futures returned never complete exceptionally and may complete on any thread;
 * when every interceptor returns a completed stage, they are complete on return.
 */
public final class InterceptorChain {

    private static final String FALLBACK_REASON = "rejected because an interceptor failed";

    /** An interceptor with its fallback policy and the name used in logs. */
    private record Entry(BrokerInterceptor interceptor, FallbackPolicy fallback, String name) {
    }

    /** The interceptor call and the check of changed events for one rejectable event type. */
    private record Spec<E>(String eventName, RejectableEvent kind,
                           BiFunction<BrokerInterceptor, E, CompletionStage<InterceptResult<E>>> call,
                           BiFunction<E, E, String> problem) {
    }

    private final HookFence fence;
    private final BrokerMetrics metrics;
    private final List<Entry> connect;
    private final List<Entry> connAck;
    private final List<Entry> disconnect;
    private final List<Entry> publishInbound;
    private final List<Entry> publishOutbound;
    private final List<Entry> subscribe;
    private final List<Entry> unsubscribe;
    private final List<Entry> deadLetter;
    private final Spec<ConnectEvent> connectSpec;
    private final Spec<PublishEvent> inboundSpec;
    private final Spec<PublishEvent> outboundSpec;
    private final Spec<SubscribeEvent> subscribeSpec;

    /**
     * Creates the chain.
     *
     * @param filterProblem returns why a topic filter cannot be subscribed to, or null if it can;
     *                      applied to filters that an interceptor changed
     */
    InterceptorChain(List<BrokerInterceptor> interceptors, HookFence fence, BrokerMetrics metrics,
                     Function<String, String> filterProblem) {
        this.fence = fence;
        this.metrics = metrics;
        List<Entry> entries = new ArrayList<>();
        for (BrokerInterceptor interceptor : interceptors) {
            entries.add(new Entry(interceptor, fallbackOf(interceptor), interceptor.getClass().getName()));
        }
        connect = overriding(entries, "onConnect", ConnectEvent.class);
        connAck = overriding(entries, "onConnAck", ConnAckEvent.class);
        disconnect = overriding(entries, "onDisconnect", DisconnectEvent.class);
        publishInbound = overriding(entries, "onPublishInbound", PublishEvent.class);
        publishOutbound = overriding(entries, "onPublishOutbound", PublishEvent.class);
        subscribe = overriding(entries, "onSubscribe", SubscribeEvent.class);
        unsubscribe = overriding(entries, "onUnsubscribe", UnsubscribeEvent.class);
        deadLetter = overriding(entries, "onDeadLetter", DeadLetterEvent.class);

        connectSpec = new Spec<>("connect", RejectableEvent.CONNECT, BrokerInterceptor::onConnect,
                (before, after) -> null);
        inboundSpec = new Spec<>("publish inbound", RejectableEvent.PUBLISH_INBOUND,
                BrokerInterceptor::onPublishInbound, InterceptorChain::topicProblem);
        outboundSpec = new Spec<>("publish outbound", RejectableEvent.PUBLISH_OUTBOUND,
                BrokerInterceptor::onPublishOutbound, InterceptorChain::topicProblem);
        subscribeSpec = new Spec<>("subscribe", RejectableEvent.SUBSCRIBE, BrokerInterceptor::onSubscribe,
                (before, after) -> before.filter().equals(after.filter()) ? null : filterProblem.apply(after.filter()));
    }

    /** Returns true if no interceptor handles connects. */
    public boolean connectEmpty() {
        return connect.isEmpty();
    }

    /** Returns true if no interceptor observes CONNACKs. */
    public boolean connAckEmpty() {
        return connAck.isEmpty();
    }

    /** Returns true if no interceptor observes disconnects. */
    public boolean disconnectEmpty() {
        return disconnect.isEmpty();
    }

    /** Returns true if no interceptor handles inbound publishes. */
    public boolean publishInboundEmpty() {
        return publishInbound.isEmpty();
    }

    /** Returns true if no interceptor handles outbound publishes. */
    public boolean publishOutboundEmpty() {
        return publishOutbound.isEmpty();
    }

    /** Returns true if no interceptor handles subscribes. */
    public boolean subscribeEmpty() {
        return subscribe.isEmpty();
    }

    /**
     * Runs the connect interceptors. The result is a rejection, or {@link InterceptResult#proceed(Object)}
     * with the event.
     */
    public CompletableFuture<InterceptResult<ConnectEvent>> onConnect(ConnectEvent event) {
        return run(connect, 0, event, event.client().clientId(), connectSpec);
    }

    /**
     * Runs the inbound publish interceptors. The result is a rejection, or
     * {@link InterceptResult#proceed(Object)} with the event as the last interceptor left it.
     */
    public CompletableFuture<InterceptResult<PublishEvent>> onPublishInbound(PublishEvent event) {
        return run(publishInbound, 0, event, event.client().clientId(), inboundSpec);
    }

    /** Runs the outbound publish interceptors for one subscriber; the result is as for {@link #onPublishInbound}. */
    public CompletableFuture<InterceptResult<PublishEvent>> onPublishOutbound(PublishEvent event) {
        return run(publishOutbound, 0, event, event.client().clientId(), outboundSpec);
    }

    /** Runs the subscribe interceptors for one filter; the result is as for {@link #onPublishInbound}. */
    public CompletableFuture<InterceptResult<SubscribeEvent>> onSubscribe(SubscribeEvent event) {
        return run(subscribe, 0, event, event.client().clientId(), subscribeSpec);
    }

    /** Notifies the interceptors that a CONNACK was sent. */
    public void onConnAck(ConnAckEvent event) {
        observe(connAck, event, "connack", event.client().clientId(), BrokerInterceptor::onConnAck);
    }

    /** Notifies the interceptors that a connection closed. */
    public void onDisconnect(DisconnectEvent event) {
        observe(disconnect, event, "disconnect", event.client().clientId(), BrokerInterceptor::onDisconnect);
    }

    /** Notifies the interceptors that a subscription was removed. */
    public void onUnsubscribe(UnsubscribeEvent event) {
        observe(unsubscribe, event, "unsubscribe", event.client().clientId(), BrokerInterceptor::onUnsubscribe);
    }

    /**
     * Notifies the interceptors that a message was dead-lettered, for the dead-letter writer to call
     * once the store took the letter. Returns once every interceptor returned.
     */
    public void onDeadLetter(DeadLetterEvent event) {
        observe(deadLetter, event, "dead letter", "", BrokerInterceptor::onDeadLetter);
    }

    private <E> void observe(List<Entry> chain, E event, String eventName, String clientId,
                             BiConsumer<BrokerInterceptor, E> call) {
        // Indexed, because a for-each loop allocates an iterator for every event, even for an empty chain.
        for (int i = 0; i < chain.size(); i++) {
            Entry entry = chain.get(i);
            try {
                call.accept(entry.interceptor(), event);
            } catch (RuntimeException | LinkageError | AssertionError e) {
                fence.failed(Hook.INTERCEPTOR, entry.name(), eventName, clientId, e);
            }
        }
    }

    private <E> CompletableFuture<InterceptResult<E>> run(List<Entry> chain, int index, E event, String clientId,
                                                          Spec<E> spec) {
        if (index == chain.size()) {
            return CompletableFuture.completedFuture(InterceptResult.proceed(event));
        }
        Entry entry = chain.get(index);
        CompletionStage<InterceptResult<E>> stage;
        try {
            stage = spec.call().apply(entry.interceptor(), event);
        } catch (RuntimeException | LinkageError | AssertionError e) {
            return fallBack(chain, index, event, clientId, spec, e);
        }
        if (stage == null) {
            return fallBack(chain, index, event, clientId, spec, new NullPointerException("returned a null stage"));
        }
        return fence.bound(stage).handle((result, error) -> {
            if (error != null) {
                return fallBack(chain, index, event, clientId, spec, error);
            }
            if (result == null) {
                return fallBack(chain, index, event, clientId, spec, new NullPointerException("completed with null"));
            }
            if (result.isRejected()) {
                metrics.rejected(spec.kind());
                return CompletableFuture.completedFuture(result);
            }
            E next = result.changedEvent().orElse(event);
            String problem = next == event ? null : spec.problem().apply(event, next);
            if (problem != null) {
                return fallBack(chain, index, event, clientId, spec, new IllegalArgumentException(problem));
            }
            return run(chain, index + 1, next, clientId, spec);
        }).thenCompose(next -> next);
    }

    private <E> CompletableFuture<InterceptResult<E>> fallBack(List<Entry> chain, int index, E event, String clientId,
                                                               Spec<E> spec, Throwable error) {
        Entry entry = chain.get(index);
        fence.failed(Hook.INTERCEPTOR, entry.name(), spec.eventName(), clientId, error);
        if (entry.fallback() == FallbackPolicy.REJECT) {
            metrics.rejected(spec.kind());
            return CompletableFuture.completedFuture(InterceptResult.reject(ReasonCode.UNSPECIFIED_ERROR, FALLBACK_REASON));
        }
        return run(chain, index + 1, event, clientId, spec);
    }

    private static String topicProblem(PublishEvent before, PublishEvent after) {
        String topic = after.message().topic();
        if (topic.equals(before.message().topic())) {
            return null;
        }
        String problem = Topics.checkTopicName(topic);
        return problem == null ? null : "invalid topic name '" + topic + "': " + problem;
    }

    private static FallbackPolicy fallbackOf(BrokerInterceptor interceptor) {
        FallbackPolicy policy = interceptor.fallbackPolicy();
        if (policy == null) {
            throw new IllegalArgumentException("invalid interceptor " + interceptor.getClass().getName()
                    + ": fallbackPolicy() returned null; return PROCEED or REJECT");
        }
        return policy;
    }

    /** Returns the entries whose interceptor overrides {@code method}, keeping their order. */
    private static List<Entry> overriding(List<Entry> entries, String method, Class<?> eventType) {
        List<Entry> result = new ArrayList<>();
        for (Entry entry : entries) {
            if (overrides(entry.interceptor().getClass(), method, eventType)) {
                result.add(entry);
            }
        }
        return List.copyOf(result);
    }

    private static boolean overrides(Class<?> type, String method, Class<?> eventType) {
        try {
            return type.getMethod(method, eventType).getDeclaringClass() != BrokerInterceptor.class;
        } catch (NoSuchMethodException e) {
            // Unreachable for a BrokerInterceptor; calling the method is the safe choice.
            return true;
        }
    }
}
