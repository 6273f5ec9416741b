package io.petrel.broker.observability;

import io.micrometer.core.instrument.Counter;
import io.petrel.broker.protocol.ProtocolViolation;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

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
 *   <tr><td>petrel.local.handler.errors</td><td>counter</td><td></td></tr>
 *   <tr><td>petrel.connections.active</td><td>gauge</td><td></td></tr>
 *   <tr><td>petrel.sessions</td><td>gauge</td><td></td></tr>
 *   <tr><td>petrel.subscriptions</td><td>gauge</td><td></td></tr>
 *   <tr><td>petrel.retained.messages</td><td>gauge</td><td></td></tr>
 * </table>
 */
public final class BrokerMetrics {

    /** Why a message was not delivered to one subscriber. */
    public enum DropReason {
        /** The subscriber's session queue was at its configured bound. */
        QUEUE_FULL("queue_full"),
        /** The session ended while the message was still queued. */
        SESSION_ENDED("session_ended");

        private final String tag;

        DropReason(String tag) {
            this.tag = tag;
        }

        /** Returns the value of the {@code reason} tag. */
        public String tag() {
            return tag;
        }
    }

    private final MeterRegistry registry;
    private final Map<ProtocolViolation, Counter> violations = new EnumMap<>(ProtocolViolation.class);
    private final Map<DropReason, Counter> drops = new EnumMap<>(DropReason.class);
    private final Counter receivedNetwork;
    private final Counter receivedLocal;
    private final Counter deliveredNetwork;
    private final Counter deliveredLocal;
    private final Counter willsPublished;
    private final Counter handlerErrors;

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
        handlerErrors = Counter.builder("petrel.local.handler.errors")
                .description("Exceptions thrown by in-process message handlers")
                .register(registry);
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

    /** Counts a published will message. */
    public void willPublished() {
        willsPublished.increment();
    }

    /** Counts an exception thrown by an in-process handler. */
    public void handlerError() {
        handlerErrors.increment();
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
