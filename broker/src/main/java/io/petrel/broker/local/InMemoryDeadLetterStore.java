package io.petrel.broker.local;

import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterPage;
import io.petrel.api.DeadLetterQuery;
import io.petrel.api.store.DeadLetterStore;
import io.petrel.broker.observability.RateLimitedLogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A dead-letter store in memory, bounded by a capacity: when it is full, appending a letter drops
 * the oldest one, which {@link #droppedCount()} counts and the broker exposes as
 * {@code petrel.local.dead_letters.dropped}. Letters are lost when the JVM exits.
 *
 * <p>Thread-safe: every method locks the store's monitor for one map operation, or for one scan
 * when listing, counting and purging. A cursor is the append sequence number of the last
 * letter of a page, so it stays valid when letters are removed.
 */
public final class InMemoryDeadLetterStore implements DeadLetterStore {

    /** Default capacity, in letters. */
    public static final int DEFAULT_CAPACITY = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(InMemoryDeadLetterStore.class);

    private final int capacity;
    private final TreeMap<Long, DeadLetter> bySequence = new TreeMap<>();
    private final Map<String, Long> sequenceById = new HashMap<>();
    private final RateLimitedLogger dropLog = new RateLimitedLogger(LOG, 10, TimeUnit.SECONDS);
    private long nextSequence;
    private long dropped;

    /** Creates a store of {@value #DEFAULT_CAPACITY} letters. */
    public InMemoryDeadLetterStore() {
        this(DEFAULT_CAPACITY);
    }

    /**
     * Creates a store of at most {@code capacity} letters.
     *
     * @throws IllegalArgumentException if {@code capacity} is below 1
     */
    public InMemoryDeadLetterStore(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("invalid dead-letter store capacity " + capacity
                    + ": expected 1 or more letters");
        }
        this.capacity = capacity;
    }

    /** Returns the maximum number of letters. */
    public int capacity() {
        return capacity;
    }

    /**
     * Stores the letter, dropping the oldest one if the store is full.
     *
     * @return a completed stage, or a failed one with {@link IllegalArgumentException} if a letter with
     *         the same id is stored
     */
    @Override
    public CompletionStage<Void> append(DeadLetter letter) {
        DeadLetter evicted = null;
        synchronized (this) {
            if (sequenceById.containsKey(letter.id())) {
                return CompletableFuture.failedFuture(new IllegalArgumentException(
                        "duplicate dead letter id '" + letter.id() + "': already stored"));
            }
            long sequence = nextSequence++;
            bySequence.put(sequence, letter);
            sequenceById.put(letter.id(), sequence);
            if (bySequence.size() > capacity) {
                evicted = bySequence.pollFirstEntry().getValue();
                sequenceById.remove(evicted.id());
                dropped++;
            }
        }
        if (evicted != null) {
            dropLog.warn("The dead-letter store is full (capacity {}); dropped the oldest letter {} on topic '{}'",
                    capacity, evicted.id(), evicted.message().topic());
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized DeadLetterPage list(DeadLetterQuery query, String cursor, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("invalid limit " + limit + ": expected 1 or more");
        }
        Map<Long, DeadLetter> after = cursor == null ? bySequence : bySequence.tailMap(parseCursor(cursor), false);
        List<DeadLetter> page = new ArrayList<>(Math.min(limit, bySequence.size()));
        long lastSequence = -1;
        boolean more = false;
        for (Map.Entry<Long, DeadLetter> entry : after.entrySet()) {
            if (!query.matches(entry.getValue())) {
                continue;
            }
            if (page.size() == limit) {
                more = true;
                break;
            }
            page.add(entry.getValue());
            lastSequence = entry.getKey();
        }
        return new DeadLetterPage(page, more ? Long.toString(lastSequence) : null);
    }

    @Override
    public synchronized Optional<DeadLetter> get(String id) {
        Long sequence = sequenceById.get(id);
        return sequence == null ? Optional.empty() : Optional.of(bySequence.get(sequence));
    }

    @Override
    public synchronized boolean remove(String id) {
        Long sequence = sequenceById.remove(id);
        if (sequence == null) {
            return false;
        }
        bySequence.remove(sequence);
        return true;
    }

    @Override
    public synchronized long purge(DeadLetterQuery query) {
        long removed = 0;
        Iterator<DeadLetter> letters = bySequence.values().iterator();
        while (letters.hasNext()) {
            DeadLetter letter = letters.next();
            if (query.matches(letter)) {
                letters.remove();
                sequenceById.remove(letter.id());
                removed++;
            }
        }
        return removed;
    }

    @Override
    public synchronized long count(DeadLetterQuery query) {
        if (query.equals(DeadLetterQuery.all())) {
            return bySequence.size();
        }
        return bySequence.values().stream().filter(query::matches).count();
    }

    @Override
    public synchronized long droppedCount() {
        return dropped;
    }

    private static long parseCursor(String cursor) {
        try {
            long sequence = Long.parseLong(cursor);
            if (sequence >= 0) {
                return sequence;
            }
        } catch (NumberFormatException e) {
            // Reported below with the value.
        }
        throw new IllegalArgumentException("invalid cursor '" + cursor
                + "': expected a cursor returned by DeadLetterPage.nextCursor() of this store");
    }

    @Override
    public String toString() {
        return "InMemoryDeadLetterStore{capacity=" + capacity + '}';
    }
}
