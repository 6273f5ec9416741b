package io.petrel.api;

import java.util.concurrent.CompletionStage;

/**
 * An MQTT broker that network clients connect to and that the hosting application publishes to and
 * subscribes on in-process, without a network hop.
 *
 * <p>In-process and network clients share one routing table: each sees the other's messages,
 * retained messages included, with the same QoS and ordering rules. All methods are thread-safe.
 */
public interface Broker extends AutoCloseable {

    /**
     * Binds the listeners and starts accepting connections. Returns when every listener is bound.
     * Idempotent: a second call on a running broker does nothing.
     *
     * @throws BrokerException if a listener cannot bind (the message names the address), or the
     *                         broker was already closed
     */
    void start();

    /**
     * Closes the listeners, disconnects clients (MQTT 5.0 clients get DISCONNECT with reason 0x8B,
     * server shutting down) and stops in-process deliveries. Idempotent.
     */
    @Override
    void close();

    /**
     * Publishes a message to every matching subscriber, network and in-process.
     *
     * @param message the message; its topic must be a valid topic name without wildcards
     * @return a stage that completes when the broker has accepted the message: it is routed and, if it
     *         is retained, stored. It completes exceptionally with {@link BrokerException} if the
     *         broker is not running.
     * @throws IllegalArgumentException if the topic is not a valid MQTT topic name
     */
    CompletionStage<Void> publish(Message message);

    /**
     * Subscribes a handler with default options: QoS up to 2 and the shared handler executor.
     *
     * @see #subscribe(String, MessageHandler, SubscriptionOptions)
     */
    default Subscription subscribe(String filter, MessageHandler handler) {
        return subscribe(filter, handler, SubscriptionOptions.defaults());
    }

    /**
     * Subscribes a handler to a topic filter. Retained messages that match the filter are delivered
     * first, with the retain flag set.
     *
     * @param filter  an MQTT topic filter; {@code +} and {@code #} wildcards are allowed
     * @param handler called for each matching message, on the executor of {@code options}
     * @param options the maximum QoS and the executor
     * @return the subscription; close it to stop delivery
     * @throws IllegalArgumentException if the filter is not a valid MQTT topic filter
     * @throws BrokerException          if the broker is not running
     */
    Subscription subscribe(String filter, MessageHandler handler, SubscriptionOptions options);

    /** Returns the current state of the broker. */
    BrokerStatus status();
}
