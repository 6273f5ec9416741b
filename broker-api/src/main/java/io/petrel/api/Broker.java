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
     * @return a stage that completes when the broker has accepted the message: it is routed, every
     *         in-process subscription that receives it at QoS 1 or 2 took it into its bounded queue,
     *         and, if it is retained, it is stored. While such a queue is full, the stage stays
     *         incomplete (the calling thread is not blocked) and later completes on a thread of the
     *         common fork-join pool. It completes exceptionally with {@link BrokerException} if a
     *         queue had no room within the broker's publish timeout, or if the broker is not running.
     *         It also fails if an open circuit sent the message to the dead-letter store and the
     *         store failed to keep it.
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
     * @param options the maximum QoS, executor, retry policy, circuit breaker, queue capacity and
     *                concurrency
     * @return the subscription; close it to stop delivery
     * @throws IllegalArgumentException if the filter is not a valid MQTT topic filter
     * @throws BrokerException          if the broker is not running
     */
    Subscription subscribe(String filter, MessageHandler handler, SubscriptionOptions options);

    /**
     * Returns the administration view of the dead-letter store: the messages that in-process
     * handlers failed on, which can be listed, replayed and purged.
     */
    DeadLetters deadLetters();

    /** Returns the current state of the broker. */
    BrokerStatus status();
}
