package io.petrel.api.store;

import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterPage;
import io.petrel.api.DeadLetterQuery;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Storage of dead letters, the messages that in-process subscriptions could not handle. The broker
 * uses an in-memory store unless the application passes another one to its builder; the broker
 * closes the store when it closes.
 *
 * <p>Implementations must be thread-safe. {@link #append} is called on handler threads and, when a
 * subscription with an open circuit refuses a message, on the publisher's thread, which may be a
 * network event loop: it must not block, so a store that writes to disk hands the record to its own
 * writer thread and completes the returned stage once the record is durable. The other methods serve
 * administration and may block.
 *
 * <p>Letters are kept in the order they were appended; {@link #list} returns them in that order.
 */
public interface DeadLetterStore extends AutoCloseable {

    /**
     * Stores a letter whose {@link DeadLetter#id()} is not yet in the store.
     *
     * @return a stage that completes once the letter is stored, or exceptionally if it could not be.
     *         The broker counts and logs such a failure as a lost message.
     */
    CompletionStage<Void> append(DeadLetter letter);

    /**
     * Returns up to {@code limit} letters matching {@code query} that were appended after the
     * position {@code cursor} stands for, oldest first.
     *
     * @param cursor null for the first page, or a cursor this store returned in
     *               {@link DeadLetterPage#nextCursor()}; it stays valid when letters are removed
     * @param limit  the page size, 1 or more
     * @throws IllegalArgumentException if {@code cursor} was not issued by this store
     */
    DeadLetterPage list(DeadLetterQuery query, String cursor, int limit);

    /** Returns the letter with this id, if stored. */
    Optional<DeadLetter> get(String id);

    /** Removes the letter with this id; returns false if none was stored. */
    boolean remove(String id);

    /** Removes every letter matching {@code query}; returns how many were removed. */
    long purge(DeadLetterQuery query);

    /** Returns the number of stored letters matching {@code query}. */
    long count(DeadLetterQuery query);

    /**
     * Returns how many letters the store discarded on its own since it was created, for example the
     * oldest ones of a store bounded in size. The broker exposes it as a meter.
     */
    default long droppedCount() {
        return 0;
    }

    /** Releases the store's resources. Called once by the broker when it closes. */
    @Override
    default void close() {
    }
}
