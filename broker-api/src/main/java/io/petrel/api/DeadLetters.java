package io.petrel.api;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Lists, replays and purges the messages that in-process subscriptions dead-lettered. Returned by
 * {@link Broker#deadLetters()}; thread-safe.
 *
 * <p>A replay publishes the letter's message through the broker, with the retain flag cleared so
 * that a replay never changes a retained message, and removes the letter once the publish stage
 * completed. Replaying to the original topic reaches every subscriber of that topic, not only the
 * subscription that failed. If the handler fails again, the message is dead-lettered again under a
 * new id. Two replays of one letter at the same time may both publish it.
 */
public interface DeadLetters {

    /** Largest page that {@link #list} returns. */
    int MAX_PAGE_SIZE = 1_000;

    /**
     * Returns the first page of the letters matching {@code query}, oldest first.
     *
     * @param limit the page size, 1 to {@value #MAX_PAGE_SIZE}
     * @throws IllegalArgumentException if {@code limit} is out of range
     */
    default DeadLetterPage list(DeadLetterQuery query, int limit) {
        return list(query, null, limit);
    }

    /**
     * Returns the page of letters matching {@code query} that follows {@code cursor}, oldest first.
     *
     * @param cursor a cursor from {@link DeadLetterPage#nextCursor()} of the same query, or null for
     *               the first page
     * @param limit  the page size, 1 to {@value #MAX_PAGE_SIZE}
     * @throws IllegalArgumentException if {@code limit} is out of range or {@code cursor} is not one the
     *                                  store issued
     */
    DeadLetterPage list(DeadLetterQuery query, String cursor, int limit);

    /** Returns the letter with this id, if it is still stored. */
    Optional<DeadLetter> get(String id);

    /** Returns the number of letters matching {@code query}. */
    long count(DeadLetterQuery query);

    /**
     * Publishes one letter to its original topic and removes it.
     *
     * @return a stage that completes with true once the message was published and the letter removed,
     *         with false if no letter has this id, or exceptionally if the publish failed (the letter
     *         then stays stored)
     */
    CompletionStage<Boolean> replay(String id);

    /**
     * Publishes one letter to {@code topic} instead of its original topic and removes it.
     *
     * @return as for {@link #replay(String)}
     * @throws IllegalArgumentException if {@code topic} is not a valid MQTT topic name
     */
    CompletionStage<Boolean> replay(String id, String topic);

    /**
     * Publishes every letter matching {@code query} to its original topic, oldest first, removing
     * each once published. Letters dead-lettered while the replay runs are not replayed by it.
     *
     * @return a stage that completes with the number of letters replayed, or exceptionally at the
     *         first failed publish. The letters not yet replayed then stay stored.
     */
    CompletionStage<Long> replayAll(DeadLetterQuery query);

    /**
     * Publishes every letter matching {@code query} to {@code topic}, oldest first, removing each once
     * published.
     *
     * @return as for {@link #replayAll(DeadLetterQuery)}
     * @throws IllegalArgumentException if {@code topic} is not a valid MQTT topic name
     */
    CompletionStage<Long> replayAll(DeadLetterQuery query, String topic);

    /** Removes one letter without publishing it; returns false if no letter has this id. */
    boolean purge(String id);

    /**
     * Removes every letter matching {@code query} without publishing it; pass
     * {@link DeadLetterQuery#all()} to empty the store.
     *
     * @return the number of letters removed
     */
    long purge(DeadLetterQuery query);
}
