package io.petrel.api.store;

import io.petrel.api.Message;

import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Storage of retained messages, so that they survive a restart. The broker keeps its own index of
 * retained messages in memory: it reads the store once with {@link #forEach} when it starts, and
 * afterwards only writes to it.
 *
 * <p>Implementations must be thread-safe. {@link #set} and {@link #clear} are called on network event
 * loops and must not block: a store that writes to disk hands the record to its own writer thread.
 * The broker acknowledges a QoS 1 or 2 PUBLISH that changes retained state only after the returned
 * stage completes, so a store completes it only once the record is written. A store that rejects a
 * write on purpose completes the stage with a {@link io.petrel.api.BrokerException}, as
 * {@link SessionStore} describes.
 *
 * <p>The broker closes the store when it closes.
 */
public interface RetainedStore extends AutoCloseable {

    /**
     * Visits every stored retained message, in no particular order, each topic at most once. Called
     * once by the broker before it accepts connections.
     */
    void forEach(Consumer<StoredRetainedMessage> visitor);

    /**
     * Stores or replaces the retained message of {@code message.topic()}.
     *
     * @param arrivalEpochMillis when the broker received the message, in milliseconds since the epoch
     * @return a stage that completes once the record is written, or exceptionally if it could not be
     */
    CompletionStage<Void> set(Message message, long arrivalEpochMillis);

    /**
     * Removes the retained message of {@code topic}, if any.
     *
     * @return a stage that completes once the removal is written, or exceptionally if it could not be
     */
    CompletionStage<Void> clear(String topic);

    /** Releases the store's resources. Called once by the broker when it closes. */
    @Override
    default void close() {
    }
}
