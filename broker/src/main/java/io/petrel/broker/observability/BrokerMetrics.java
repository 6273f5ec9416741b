package io.petrel.broker.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.petrel.api.CircuitState;
import io.petrel.api.DeadLetter;
import io.petrel.api.hook.AuthorizationAction;
import io.petrel.api.store.DeadLetterStore;
import io.petrel.api.store.StoreWriteStatistics;
import io.petrel.broker.protocol.ProtocolViolation;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * The catalogue of every meter the broker registers, with the handles kept in fields so hot paths
 * never look a meter up by name. Thread-safe: Micrometer meters may be updated from any thread.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th></tr>
 *   <tr><td>petrel.protocol.violations</td><td>counter</td><td>reason</td></tr>
 *   <tr><td>petrel.messages.received</td><td>counter</td><td>source (network, local)</td></tr>
 *   <tr><td>petrel.messages.delivered</td><td>counter</td><td>destination (network, local)</td></tr>
 *   <tr><td>petrel.messages.dropped</td><td>counter</td><td>reason</td></tr>
 *   <tr><td>petrel.wills.published</td><td>counter</td><td></td></tr>
 *   <tr><td>petrel.sessions.expired</td><td>counter</td><td></td></tr>
 *   <tr><td>petrel.local.handler.errors</td><td>counter</td><td></td></tr>
 *   <tr><td>petrel.local.retries</td><td>counter</td><td></td></tr>
 *   <tr><td>petrel.local.dead_letters.stored</td><td>counter</td><td>reason (attempts_exhausted,
 *       unprocessable, circuit_open)</td></tr>
 *   <tr><td>petrel.local.dead_letters.dropped</td><td>function counter</td><td></td></tr>
 *   <tr><td>petrel.local.circuit.transitions</td><td>counter</td><td>state (open, half_open, closed)</td></tr>
 *   <tr><td>petrel.local.circuits</td><td>gauge</td><td>state (open, half_open, closed)</td></tr>
 *   <tr><td>petrel.local.queued</td><td>gauge</td><td></td></tr>
 *   <tr><td>petrel.hooks.errors</td><td>counter</td><td>hook (authenticator, authorizer, interceptor)</td></tr>
 *   <tr><td>petrel.hooks.timeouts</td><td>counter</td><td>hook</td></tr>
 *   <tr><td>petrel.hooks.authorization.denied</td><td>counter</td><td>action (publish, subscribe, receive)</td></tr>
 *   <tr><td>petrel.hooks.rejections</td><td>counter</td><td>event (connect, publish_inbound, publish_outbound,
 *       subscribe)</td></tr>
 *   <tr><td>petrel.connections.active</td><td>gauge</td><td></td></tr>
 *   <tr><td>petrel.sessions</td><td>gauge</td><td></td></tr>
 *   <tr><td>petrel.subscriptions</td><td>gauge</td><td></td></tr>
 *   <tr><td>petrel.retained.messages</td><td>gauge</td><td></td></tr>
 *   <tr><td>petrel.hooks.authorization.cache.size</td><td>gauge</td><td></td></tr>
 *   <tr><td>petrel.store.writes.rejected</td><td>function counter</td><td>store (retained, sessions,
 *       dead_letters)</td></tr>
 * </table>
 */
public final class BrokerMetrics {

    /** The reason a message was not delivered to one subscriber. */
    public enum DropReason {
        /** The subscriber's session queue was at its configured bound. */
        QUEUE_FULL("queue_full"),
        /** The session ended while the message was still queued. */
        SESSION_ENDED("session_ended"),
        /** The MQTT 5.0 message expiry interval passed before the message could be sent. */
        EXPIRED("expired"),
        /** The PUBLISH would exceed the Maximum Packet Size the client announced. */
        TOO_LARGE_FOR_CLIENT("too_large_for_client"),
        /** An authorizer denied the subscriber the receive action on the topic. */
        NOT_AUTHORIZED("not_authorized"),
        /** An interceptor rejected the delivery to the subscriber. */
        REJECTED_BY_INTERCEPTOR("rejected_by_interceptor"),
        /** A QoS 0 message found the queue of an in-process subscription full. */
        SUBSCRIPTION_QUEUE_FULL("subscription_queue_full"),
        /** A QoS 1 or 2 message waited for room in an in-process subscription's queue past the publish timeout. */
        SUBSCRIPTION_PUBLISH_TIMEOUT("subscription_publish_timeout"),
        /** The in-process subscription was closed while the message was queued or waiting for room. */
        SUBSCRIPTION_CLOSED("subscription_closed"),
        /** The dead-letter store failed to store the message. */
        DEAD_LETTER_STORE_FAILED("dead_letter_store_failed");

        private final String tag;

        DropReason(String tag) {
            this.tag = tag;
        }

        /** Returns the value of the {@code reason} tag. */
        public String tag() {
            return tag;
        }
    }

    /** The kinds of user hook, the {@code hook} tag of the hook meters. */
    public enum Hook {
        AUTHENTICATOR("authenticator"),
        AUTHORIZER("authorizer"),
        INTERCEPTOR("interceptor");

        private final String tag;

        Hook(String tag) {
            this.tag = tag;
        }

        /** Returns the value of the {@code hook} tag. */
        public String tag() {
            return tag;
        }
    }

    /** The interceptor events that can be rejected, the {@code event} tag of {@code petrel.hooks.rejections}. */
    public enum RejectableEvent {
        CONNECT("connect"),
        PUBLISH_INBOUND("publish_inbound"),
        PUBLISH_OUTBOUND("publish_outbound"),
        SUBSCRIBE("subscribe");

        private final String tag;

        RejectableEvent(String tag) {
            this.tag = tag;
        }

        /** Returns the value of the {@code event} tag. */
        public String tag() {
            return tag;
        }
    }

    private final MeterRegistry registry;
    private final Map<Hook, Counter> hookErrors = new EnumMap<>(Hook.class);
    private final Map<Hook, Counter> hookTimeouts = new EnumMap<>(Hook.class);
    private final Map<AuthorizationAction, Counter> authorizationDenials = new EnumMap<>(AuthorizationAction.class);
    private final Map<RejectableEvent, Counter> rejections = new EnumMap<>(RejectableEvent.class);
    private final Map<ProtocolViolation, Counter> violations = new EnumMap<>(ProtocolViolation.class);
    private final Map<DropReason, Counter> drops = new EnumMap<>(DropReason.class);
    private final Counter receivedNetwork;
    private final Counter receivedLocal;
    private final Counter deliveredNetwork;
    private final Counter deliveredLocal;
    private final Counter willsPublished;
    private final Counter sessionsExpired;
    private final Counter handlerErrors;
    private final Counter retries;
    private final Map<DeadLetter.Reason, Counter> deadLetters = new EnumMap<>(DeadLetter.Reason.class);
    private final Map<CircuitState, Counter> circuitTransitions = new EnumMap<>(CircuitState.class);

    /** Registers every counter in {@code registry}; gauges are bound later with {@link #bindGauges}. */
    public BrokerMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (ProtocolViolation violation : ProtocolViolation.values()) {
            violations.put(violation, Counter.builder("petrel.protocol.violations")
                    .description("Packets or connections rejected for breaking the MQTT protocol")
                    .tag("reason", violation.tag())
                    .register(registry));
        }
        for (DropReason reason : DropReason.values()) {
            drops.put(reason, Counter.builder("petrel.messages.dropped")
                    .description("Messages not delivered to a subscriber")
                    .tag("reason", reason.tag())
                    .register(registry));
        }
        receivedNetwork = received("network");
        receivedLocal = received("local");
        deliveredNetwork = delivered("network");
        deliveredLocal = delivered("local");
        willsPublished = Counter.builder("petrel.wills.published")
                .description("Will messages published after a connection closed without DISCONNECT")
                .register(registry);
        sessionsExpired = Counter.builder("petrel.sessions.expired")
                .description("Sessions ended because their expiry interval passed while disconnected")
                .register(registry);
        handlerErrors = Counter.builder("petrel.local.handler.errors")
                .description("Exceptions thrown by in-process message handlers")
                .register(registry);

        retries = Counter.builder("petrel.local.retries")
                .description("Handler calls repeated after an in-process handler threw")
                .register(registry);
        for (DeadLetter.Reason reason : DeadLetter.Reason.values()) {
            deadLetters.put(reason, Counter.builder("petrel.local.dead_letters.stored")
                    .description("Messages handed to the dead-letter store")
                    .tag("reason", tag(reason))
                    .register(registry));
        }
        for (CircuitState state : CircuitState.values()) {
            circuitTransitions.put(state, Counter.builder("petrel.local.circuit.transitions")
                    .description("Circuit breaker state changes of in-process subscriptions, by new state")
                    .tag("state", tag(state))
                    .register(registry));
        }
        registerHookMeters();
    }

    private void registerHookMeters() {
        for (Hook hook : Hook.values()) {
            hookErrors.put(hook, Counter.builder("petrel.hooks.errors")
                    .description("Hook calls that threw, returned null or returned an invalid result")
                    .tag("hook", hook.tag())
                    .register(registry));
            hookTimeouts.put(hook, Counter.builder("petrel.hooks.timeouts")
                    .description("Hook stages that did not complete within hooks.timeout_ms")
                    .tag("hook", hook.tag())
                    .register(registry));
        }
        for (AuthorizationAction action : AuthorizationAction.values()) {
            authorizationDenials.put(action, Counter.builder("petrel.hooks.authorization.denied")
                    .description("Actions of network clients that the authorizers denied")
                    .tag("action", action.name().toLowerCase(Locale.ROOT))
                    .register(registry));
        }
        for (RejectableEvent event : RejectableEvent.values()) {
            rejections.put(event, Counter.builder("petrel.hooks.rejections")
                    .description("Events that an interceptor rejected, or its fallback rejected")
                    .tag("event", event.tag())
                    .register(registry));
        }
    }

    /**
     * Binds the gauges to the broker's live counts. The suppliers are read whenever the registry
     * is scraped, from the scraping thread.
     */
    public void bindGauges(Supplier<Number> connections, Supplier<Number> sessions,
                           Supplier<Number> subscriptions, Supplier<Number> retained) {
        gauge("petrel.connections.active", "Network connections that completed CONNECT", connections);
        gauge("petrel.sessions", "Sessions held by the broker, connected or not", sessions);
        gauge("petrel.subscriptions", "Network and in-process subscriptions", subscriptions);
        gauge("petrel.retained.messages", "Topics with a retained message", retained);
    }

    /**
     * Binds the meters of in-process subscriptions to the broker's live values, read whenever the
     * registry is scraped, from the scraping thread.
     *
     * @param subscriptionsInState the number of in-process subscriptions whose circuit is in a state
     * @param queued               the messages in all in-process subscription queues
     * @param deadLetterStore      the store whose {@link DeadLetterStore#droppedCount()} is exposed; the
     *                             registry keeps only a weak reference, so the caller must keep the store
     */
    public void bindLocalMeters(ToIntFunction<CircuitState> subscriptionsInState, Supplier<Number> queued,
                                DeadLetterStore deadLetterStore) {
        for (CircuitState state : CircuitState.values()) {
            Gauge.builder("petrel.local.circuits", () -> subscriptionsInState.applyAsInt(state))
                    .description("In-process subscriptions whose circuit breaker is in a state")
                    .tag("state", tag(state))
                    .register(registry);
        }
        gauge("petrel.local.queued", "Messages accepted by in-process subscriptions and not yet finished", queued);
        FunctionCounter.builder("petrel.local.dead_letters.dropped", deadLetterStore, DeadLetterStore::droppedCount)
                .description("Dead letters the store discarded to stay within its bounds, oldest first")
                .register(registry);
    }

    /**
     * Binds {@code petrel.store.writes.rejected} with the tag {@code store} to a store's count of
     * records rejected for lack of disk space or above the data directory's size cap, if the store
     * counts them (implements {@link StoreWriteStatistics}). The registry keeps only a weak reference,
     * so the caller must keep the store.
     */
    public void bindStoreWrites(String storeTag, Object store) {
        if (store instanceof StoreWriteStatistics statistics) {
            FunctionCounter.builder("petrel.store.writes.rejected", statistics, StoreWriteStatistics::rejectedWrites)
                    .description("Records a store rejected because the disk or the data directory's size cap was full")
                    .tag("store", storeTag)
                    .register(registry);
        }
    }

    /** Binds the gauge of the authorization cache size, read whenever the registry is scraped. */
    public void bindAuthorizationCacheSize(Supplier<Number> entries) {
        gauge("petrel.hooks.authorization.cache.size", "Authorization decisions in the cache", entries);
    }

    /** Returns the registry the meters live in. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Counts a packet or connection rejected for a protocol violation. */
    public void protocolViolation(ProtocolViolation violation) {
        violations.get(violation).increment();
    }

    /** Counts a message that was not delivered to one subscriber. */
    public void dropped(DropReason reason) {
        drops.get(reason).increment();
    }

    /** Counts a message accepted from a network client. */
    public void receivedFromNetwork() {
        receivedNetwork.increment();
    }

    /** Counts a message accepted from an in-process publisher. */
    public void receivedFromLocal() {
        receivedLocal.increment();
    }

    /** Counts a PUBLISH written to a network subscriber. */
    public void deliveredToNetwork() {
        deliveredNetwork.increment();
    }

    /** Counts a message handed to an in-process handler. */
    public void deliveredToLocal() {
        deliveredLocal.increment();
    }

    /** Counts {@code count} messages handed to in-process handlers, such as one batch of a drain. */
    public void deliveredToLocal(int count) {
        if (count > 0) {
            deliveredLocal.increment(count);
        }
    }

    /** Counts a published will message. */
    public void willPublished() {
        willsPublished.increment();
    }

    /** Counts a session that ended because its expiry interval passed. */
    public void sessionExpired() {
        sessionsExpired.increment();
    }

    /** Counts an exception thrown by an in-process handler. */
    public void handlerError() {
        handlerErrors.increment();
    }

    /** Counts a handler call repeated after a failure. */
    public void retried() {
        retries.increment();
    }

    /** Counts a message handed to the dead-letter store. */
    public void deadLettered(DeadLetter.Reason reason) {
        deadLetters.get(reason).increment();
    }

    /** Counts a circuit breaker entering {@code state}. */
    public void circuitTransition(CircuitState state) {
        circuitTransitions.get(state).increment();
    }

    private static String tag(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    /** Counts a hook call that threw, returned null or returned an invalid result. */
    public void hookError(Hook hook) {
        hookErrors.get(hook).increment();
    }

    /** Counts a hook stage that did not complete in time. */
    public void hookTimeout(Hook hook) {
        hookTimeouts.get(hook).increment();
    }

    /** Counts an action the authorizers denied. */
    public void authorizationDenied(AuthorizationAction action) {
        authorizationDenials.get(action).increment();
    }

    /** Counts an event an interceptor rejected. */
    public void rejected(RejectableEvent event) {
        rejections.get(event).increment();
    }

    private Counter received(String source) {
        return Counter.builder("petrel.messages.received")
                .description("Messages accepted for routing")
                .tag("source", source)
                .register(registry);
    }

    private Counter delivered(String destination) {
        return Counter.builder("petrel.messages.delivered")
                .description("Messages handed to a subscriber")
                .tag("destination", destination)
                .register(registry);
    }

    private void gauge(String name, String description, Supplier<Number> supplier) {
        Gauge.builder(name, supplier).description(description).register(registry);
    }
}
