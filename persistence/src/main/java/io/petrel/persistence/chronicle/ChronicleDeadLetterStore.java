package io.petrel.persistence.chronicle;

import io.petrel.api.BrokerException;
import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterPage;
import io.petrel.api.DeadLetterQuery;
import io.petrel.api.Message;
import io.petrel.api.store.DeadLetterStore;
import io.petrel.api.store.StoreOptions;
import io.petrel.api.store.StoreWriteStatistics;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.RollCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Dead letters in an append-only Chronicle queue under {@code <data directory>/dead-letters}: one
 * record per letter, and a removal record (a tombstone) per replayed or purged letter, so that a
 * removed letter stays removed after a restart.
 *
 * <p>An index in memory maps each stored letter to its journal index and keeps what queries filter
 * on (id, subscription filter, topic, failure times), so listing, counting and purging read no
 * payload; a page reads its letters from the journal. The index is rebuilt from the journal at open.
 *
 * <p>Threads: every method is thread-safe and locks the store's monitor only to update or scan the
 * index, never while it reads or writes the journal, so {@link #append} waits at most for one index
 * scan. The daemon thread {@value #THREAD_NAME} writes the records; {@link #remove} and
 * {@link #purge} wait until their removal records are written. A cursor is the append sequence number of the last letter
 * of a page; sequence numbers are assigned again, in journal order, when the store is opened.
 *
 * <p>NOTE: letters are kept until removed; there is no retention by age or size yet, and the journal
 * is never compacted.
 */
public final class ChronicleDeadLetterStore implements DeadLetterStore, StoreWriteStatistics {

    /** Name of the writer thread. */
    public static final String THREAD_NAME = "petrel-dead-letter-store";

    /** Name of the store's directory under the data directory. */
    public static final String DIRECTORY = "dead-letters";

    private static final Logger LOG = LoggerFactory.getLogger(ChronicleDeadLetterStore.class);
    private static final long REMOVE_TIMEOUT_SECONDS = 10;

    /** A stored letter: what queries match on, and where its record is. */
    private static final class Entry {
        private final DeadLetter summary;
        // -1 until the writer thread wrote the record; until then `pending` has the whole letter.
        private volatile long journalIndex;
        private volatile DeadLetter pending;

        Entry(DeadLetter summary, long journalIndex, DeadLetter pending) {
            this.summary = summary;
            this.journalIndex = journalIndex;
            this.pending = pending;
        }
    }

    private final Path directory;
    private final DirectoryLock lock;
    private final ChronicleQueue queue;
    private final JournalWriter writer;
    private final TreeMap<Long, Entry> bySequence = new TreeMap<>();
    private final Map<String, Long> sequenceById = new HashMap<>();
    private long nextSequence;

    private ChronicleDeadLetterStore(Path directory, DirectoryLock lock, ChronicleQueue queue, StorageGuard guard,
                                     StoreOptions.Sync sync) {
        this.directory = directory;
        this.lock = lock;
        this.queue = queue;
        load();
        this.writer = new JournalWriter(queue, THREAD_NAME, guard, sync);
    }

    /**
     * Opens the store under {@code dataDirectory}, creating it if needed, and reads its index.
     *
     * @throws java.io.UncheckedIOException if another broker uses the directory or it cannot be created
     */
    public static ChronicleDeadLetterStore open(Path dataDirectory) {
        return open(dataDirectory, StoreOptions.defaults());
    }

    /**
     * Opens the store under {@code dataDirectory} with {@code options}, creating it if needed, and
     * reads its index.
     *
     * @throws java.io.UncheckedIOException if another broker uses the directory or it cannot be created
     */
    public static ChronicleDeadLetterStore open(Path dataDirectory, StoreOptions options) {
        ChronicleSettings.apply();
        return open(dataDirectory, RollCycleSetting.rollCycle(), options);
    }

    static ChronicleDeadLetterStore open(Path dataDirectory, RollCycle rollCycle) {
        return open(dataDirectory, rollCycle, StoreOptions.defaults());
    }

    static ChronicleDeadLetterStore open(Path dataDirectory, RollCycle rollCycle, StoreOptions options) {
        return LockedJournal.open(dataDirectory, DIRECTORY, rollCycle, options.sync(),
                (directory, lock, queue) -> new ChronicleDeadLetterStore(directory, lock, queue,
                        StorageGuard.of(dataDirectory, directory, "dead-letter", options), options.sync()));
    }

    @Override
    public long rejectedWrites() {
        return writer.rejectedWrites();
    }

    private void load() {
        long[] skipped = new long[1];
        long records = JournalReader.readAll(queue, (index, record) -> {
            DeadLetterRecords.Decoded decoded;
            try {
                decoded = DeadLetterRecords.decode(record);
            } catch (RuntimeException e) {
                skipped[0]++;
                LOG.warn("Skipped the dead-letter record at index {} of {}: {}", Long.toHexString(index), directory,
                        e.toString());
                return;
            }
            if (decoded.letter() == null) {
                Long sequence = sequenceById.remove(decoded.removedId());
                if (sequence != null) {
                    bySequence.remove(sequence);
                }
            } else {
                add(decoded.letter(), index, null);
            }
        });
        LOG.info("Opened the dead-letter journal {}: {} records, {} letters stored, {} records skipped", directory,
                records, bySequence.size(), skipped[0]);
    }

    /** Adds a letter to the index. Called under the monitor, or by the constructor. */
    private Entry add(DeadLetter letter, long journalIndex, DeadLetter pending) {
        long sequence = nextSequence++;
        Entry entry = new Entry(summaryOf(letter), journalIndex, pending);
        Long previous = sequenceById.put(letter.id(), sequence);
        if (previous != null) {
            bySequence.remove(previous);
        }
        bySequence.put(sequence, entry);
        return entry;
    }

    /** Returns the letter with its message reduced to what queries match on: topic, QoS and retain flag. */
    private static DeadLetter summaryOf(DeadLetter letter) {
        Message message = letter.message();
        Message reduced = Message.builder(message.topic()).qos(message.qos()).retain(message.retain()).build();
        return new DeadLetter(letter.id(), letter.subscriptionFilter(), reduced, letter.reason(), letter.attempts(),
                letter.firstFailure(), letter.lastFailure(), letter.exceptionClass(), letter.exceptionMessage());
    }

    @Override
    public CompletionStage<Void> append(DeadLetter letter) {
        byte[] record = DeadLetterRecords.letter(letter);
        Entry entry;
        CompletableFuture<Long> written;
        synchronized (this) {
            if (sequenceById.containsKey(letter.id())) {
                return CompletableFuture.failedFuture(new IllegalArgumentException(
                        "duplicate dead letter id '" + letter.id() + "': already stored"));
            }
            entry = add(letter, -1, letter);
            // Handed over under the monitor, so the journal order is the sequence order.
            written = writer.append(record);
        }
        return written.handle((index, error) -> {
            if (error != null) {
                forget(letter.id(), entry);
                throw new BrokerException("failed to store dead letter " + letter.id() + " in " + directory, error);
            }
            entry.journalIndex = index;
            entry.pending = null;
            return null;
        });
    }

    private synchronized void forget(String id, Entry entry) {
        Long sequence = sequenceById.get(id);
        if (sequence != null && bySequence.get(sequence) == entry) {
            sequenceById.remove(id);
            bySequence.remove(sequence);
        }
    }

    /** Selects the page under the monitor, then reads its letters from the journal without it. */
    @Override
    public DeadLetterPage list(DeadLetterQuery query, String cursor, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("invalid limit " + limit + ": expected 1 or more");
        }
        List<Entry> selected = new ArrayList<>();
        long lastSequence = -1;
        boolean more = false;
        synchronized (this) {
            Map<Long, Entry> after = cursor == null ? bySequence : bySequence.tailMap(parseCursor(cursor), false);
            for (Map.Entry<Long, Entry> stored : after.entrySet()) {
                if (!query.matches(stored.getValue().summary)) {
                    continue;
                }
                if (selected.size() == limit) {
                    more = true;
                    break;
                }
                selected.add(stored.getValue());
                lastSequence = stored.getKey();
            }
        }
        List<DeadLetter> page = new ArrayList<>(selected.size());
        for (Entry entry : selected) {
            page.add(load(entry));
        }
        return new DeadLetterPage(page, more ? Long.toString(lastSequence) : null);
    }

    @Override
    public Optional<DeadLetter> get(String id) {
        Entry entry;
        synchronized (this) {
            Long sequence = sequenceById.get(id);
            if (sequence == null) {
                return Optional.empty();
            }
            entry = bySequence.get(sequence);
        }
        return Optional.of(load(entry));
    }

    /** Reads the whole letter of an entry from the journal, or from memory while it is being written. */
    private DeadLetter load(Entry entry) {
        DeadLetter pending = entry.pending;
        if (pending != null) {
            return pending;
        }
        // The writer sets journalIndex before it clears pending.
        long index = entry.journalIndex;
        byte[] record = JournalReader.read(queue, index).orElseThrow(() -> new BrokerException(
                "dead letter " + entry.summary.id() + " not found at index " + Long.toHexString(index) + " of "
                        + directory));
        return DeadLetterRecords.decode(record).letter();
    }

    @Override
    public boolean remove(String id) {
        CompletableFuture<Long> removal;
        synchronized (this) {
            Long sequence = sequenceById.remove(id);
            if (sequence == null) {
                return false;
            }
            bySequence.remove(sequence);
            // Handed over under the monitor, so a later letter with the same id follows the removal.
            removal = writer.appendRemoval(DeadLetterRecords.removal(id));
        }
        awaitRemovals(List.of(removal));
        return true;
    }

    @Override
    public long purge(DeadLetterQuery query) {
        List<CompletableFuture<Long>> removals = new ArrayList<>();
        synchronized (this) {
            Iterator<Entry> entries = bySequence.values().iterator();
            while (entries.hasNext()) {
                Entry entry = entries.next();
                if (query.matches(entry.summary)) {
                    entries.remove();
                    sequenceById.remove(entry.summary.id());
                    removals.add(writer.appendRemoval(DeadLetterRecords.removal(entry.summary.id())));
                }
            }
        }
        awaitRemovals(removals);
        return removals.size();
    }

    /**
     * Waits until the removal records are written.
     *
     * @throws BrokerException if one was not written: the letter is gone from this store now, but comes
     *                         back when the store is opened again
     */
    private void awaitRemovals(List<CompletableFuture<Long>> removals) {
        try {
            CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new))
                    .get(REMOVE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException("interrupted while writing removal records to " + directory, e);
        } catch (ExecutionException | TimeoutException e) {
            LOG.error("Failed to write removal records to {}; the removed letters return after a restart",
                    directory, e);
            throw new BrokerException("failed to write removal records to " + directory
                    + "; the removed letters return after a restart", e);
        }
    }

    @Override
    public synchronized long count(DeadLetterQuery query) {
        if (query.equals(DeadLetterQuery.all())) {
            return bySequence.size();
        }
        return bySequence.values().stream().filter(entry -> query.matches(entry.summary)).count();
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

    /** Writes the records handed over so far, then closes the journal and releases the directory lock. */
    @Override
    public void close() {
        try {
            writer.close();
        } finally {
            try {
                queue.close();
            } finally {
                lock.close();
            }
        }
    }

    @Override
    public String toString() {
        return "ChronicleDeadLetterStore{" + directory + '}';
    }
}
