package io.petrel.persistence.chronicle;

import io.petrel.api.BrokerException;
import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterPage;
import io.petrel.api.DeadLetterQuery;
import io.petrel.api.store.DeadLetterStore;
import io.petrel.api.store.StoreOptions;
import io.petrel.api.store.StoreWriteStatistics;
import io.petrel.persistence.chronicle.DeadLetterIndex.Entry;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.RollCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Dead letters in an append-only Chronicle queue under {@code <data directory>/dead-letters}: one
 * record per letter, and a removal record (a tombstone) per replayed, purged or dropped letter, so
 * that a removed letter stays removed after a restart.
 *
 * <p>A {@link DeadLetterIndex} in memory maps each stored letter to its journal index and keeps what
 * queries filter on (id, subscription filter, topic, failure times), so listing, counting and
 * purging read no payload; a page reads its letters from the journal. The index is rebuilt from the
 * journal at open.
 *
 * <p>{@link DeadLetterRetention} drops letters older than a maximum age, counted from their last
 * failure, and the oldest letters beyond a maximum total size of their records. The writer thread
 * checks the age at open and every second, and the size at open and after each batch of records,
 * and writes a removal record for each dropped letter. When more than half of at least
 * {@value #DEFAULT_COMPACTION_MIN_RECORDS} records are dead (removed letters and removal records),
 * {@link JournalCompaction} copies the stored letters into the next journal generation (see
 * {@link JournalGenerations}) on the thread {@value #COMPACTION_THREAD_NAME} while appends go on.
 * A {@link StorageGuard} checks each record before it is appended: a letter against the free space
 * reserve and the size cap, a removal record (replay, purge, retention) against the reserve only.
 *
 * <p>Threads: every method is thread-safe and locks the store's monitor only to update or scan the
 * index, never while it reads or writes the journal, so {@link #append} waits at most for one index
 * scan. The daemon thread {@value #THREAD_NAME} writes the records; {@link #remove} and
 * {@link #purge} wait until their removal records are written. Reads of the journal share a read
 * lock that the switch to a compacted generation takes for writing. A cursor is the append sequence
 * number of the last letter of a page. Sequence numbers are assigned again, in journal order, when
 * the store is opened.
 */
public final class ChronicleDeadLetterStore implements DeadLetterStore, StoreWriteStatistics {

    /** Name of the writer thread. */
    public static final String THREAD_NAME = "petrel-dead-letter-store";

    /** Name of the thread that copies the stored letters during compaction. */
    public static final String COMPACTION_THREAD_NAME = "petrel-dead-letter-compaction";

    /** Name of the store's directory under the data directory. */
    public static final String DIRECTORY = "dead-letters";

    /** Journal records from which on compaction may run. */
    static final int DEFAULT_COMPACTION_MIN_RECORDS = 10_000;

    /** Time between two checks of the maximum age. */
    static final Duration DEFAULT_AGE_CHECK_INTERVAL = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(ChronicleDeadLetterStore.class);
    private static final long REMOVE_TIMEOUT_SECONDS = 10;
    /** Removal records a purge hands to the writer before it waits for them. */
    static final int PURGE_CHUNK = 1_024;
    private static final long OPEN_RETENTION_TIMEOUT_SECONDS = 60;

    private final Path directory;
    private final DirectoryLock lock;
    private final DeadLetterIndex index = new DeadLetterIndex();
    // Records handed to the writer, by identity, until it wrote them. Guarded by the monitor.
    private final Map<byte[], Entry> pendingRecords = new IdentityHashMap<>();
    private final ReadWriteLock journalLock = new ReentrantReadWriteLock();
    private final JournalCompaction compaction;
    private final JournalWriter writer;
    private final DeadLetterRetentionCheck retentionCheck;

    private ChronicleDeadLetterStore(Path dataDirectory, Path directory, DirectoryLock lock, int generation,
                                     ChronicleQueue queue, Options options) {
        this.directory = directory;
        this.lock = lock;
        this.retentionCheck = new DeadLetterRetentionCheck(options.retention(), options.clock(),
                options.ageCheckInterval(), this, index, directory, this::writeRemovalNow);
        this.compaction = new JournalCompaction("dead-letter", COMPACTION_THREAD_NAME, directory, generation,
                options.rollCycle(), options.compactionMinRecords(), DeadLetterLiveRecords::new,
                options.storeOptions().sync(), this::switchGeneration);
        load(queue, options.retention());
        StorageGuard guard = StorageGuard.of(dataDirectory, directory, "dead-letter", options.storeOptions());
        this.writer = new JournalWriter(queue, THREAD_NAME, new WriterHooks(), guard, options.storeOptions().sync());
        compaction.attach(writer);
        enforceRetentionAtOpen();
    }

    /** Settings of a store beyond its data directory; tests shorten the intervals and thresholds. */
    record Options(RollCycle rollCycle, DeadLetterRetention retention, int compactionMinRecords, Clock clock,
                   Duration ageCheckInterval, StoreOptions storeOptions) {

        static Options of(RollCycle rollCycle, DeadLetterRetention retention, StoreOptions storeOptions) {
            return new Options(rollCycle, retention, DEFAULT_COMPACTION_MIN_RECORDS, Clock.systemUTC(),
                    DEFAULT_AGE_CHECK_INTERVAL, storeOptions);
        }
    }

    /**
     * Opens the store under {@code dataDirectory}, creating it if needed, and reads its index. Letters
     * are kept until replayed or purged.
     *
     * @throws java.io.UncheckedIOException if another broker uses the directory or it cannot be created
     */
    public static ChronicleDeadLetterStore open(Path dataDirectory) {
        return open(dataDirectory, StoreOptions.defaults());
    }

    /**
     * Opens the store under {@code dataDirectory} with {@code options}, creating it if needed, reads
     * its index and drops the letters beyond {@link StoreOptions#deadLetterMaxAge()} and
     * {@link StoreOptions#deadLetterMaxBytes()}.
     *
     * @throws java.io.UncheckedIOException if another broker uses the directory or it cannot be created
     */
    public static ChronicleDeadLetterStore open(Path dataDirectory, StoreOptions options) {
        return open(dataDirectory, DeadLetterRetention.of(options), options);
    }

    /**
     * Opens the store under {@code dataDirectory}, creating it if needed, reads its index and drops
     * the letters that {@code retention} does not keep.
     *
     * @throws java.io.UncheckedIOException if another broker uses the directory or it cannot be created
     */
    public static ChronicleDeadLetterStore open(Path dataDirectory, DeadLetterRetention retention) {
        return open(dataDirectory, retention, StoreOptions.defaults());
    }

    /**
     * Opens the store under {@code dataDirectory} with the guard and sync mode of {@code options},
     * creating it if needed, reads its index and drops the letters that {@code retention} does not keep.
     *
     * @throws java.io.UncheckedIOException if another broker uses the directory or it cannot be created
     */
    public static ChronicleDeadLetterStore open(Path dataDirectory, DeadLetterRetention retention,
                                                StoreOptions options) {
        ChronicleSettings.apply();
        return open(dataDirectory, Options.of(RollCycleSetting.rollCycle(), retention, options));
    }

    static ChronicleDeadLetterStore open(Path dataDirectory, RollCycle rollCycle) {
        return open(dataDirectory, rollCycle, StoreOptions.defaults());
    }

    static ChronicleDeadLetterStore open(Path dataDirectory, RollCycle rollCycle, StoreOptions options) {
        return open(dataDirectory, Options.of(rollCycle, DeadLetterRetention.keepForever(), options));
    }

    static ChronicleDeadLetterStore open(Path dataDirectory, Options options) {
        return LockedJournal.openGenerations(dataDirectory, DIRECTORY, options.rollCycle(),
                options.storeOptions().sync(), (directory, lock, generation, queue) ->
                        new ChronicleDeadLetterStore(dataDirectory, directory, lock, generation, queue, options));
    }

    @Override
    public long rejectedWrites() {
        return writer.rejectedWrites();
    }

    private void load(ChronicleQueue queue, DeadLetterRetention retention) {
        long[] skipped = new long[1];
        long records = JournalReader.readAll(queue, (journalIndex, record) -> {
            compaction.loaded(journalIndex, record);
            DeadLetterRecords.Decoded decoded;
            try {
                decoded = DeadLetterRecords.decode(record);
            } catch (RuntimeException e) {
                skipped[0]++;
                LOG.warn("Skipped the dead-letter record at index {} of {}: {}", Long.toHexString(journalIndex),
                        queue.file(), e.toString());
                return;
            }
            if (decoded.letter() == null) {
                index.remove(decoded.removedId());
            } else {
                index.add(decoded.letter(), record.length, journalIndex, null);
            }
        });
        LOG.info("Opened the dead-letter journal {}: {} records, {} letters stored, {} records skipped; retention: "
                + "max age {}, max size {}", queue.file(), records, index.size(), skipped[0],
                retention.maxAge().map(Duration::toString).orElse("none"),
                retention.maxBytes().isPresent() ? retention.maxBytes().getAsLong() + " bytes" : "none");
    }

    @Override
    public CompletionStage<Void> append(DeadLetter letter) {
        byte[] record = DeadLetterRecords.letter(letter);
        Entry entry;
        CompletableFuture<Long> written;
        synchronized (this) {
            if (index.get(letter.id()) != null) {
                return CompletableFuture.failedFuture(new IllegalArgumentException(
                        "duplicate dead letter id '" + letter.id() + "': already stored"));
            }
            entry = index.add(letter, record.length, -1, letter);
            pendingRecords.put(record, entry);
            // Handed over under the monitor, so the journal order is the sequence order.
            written = writer.append(record);
        }
        return written.handle((journalIndex, error) -> {
            if (error != null) {
                synchronized (this) {
                    pendingRecords.remove(record);
                    index.remove(entry);
                }
                throw new BrokerException("failed to store dead letter " + letter.id() + " in " + directory, error);
            }
            return null;
        });
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
            Collection<Entry> after = cursor == null ? index.entries() : index.after(parseCursor(cursor)).values();
            for (Entry entry : after) {
                if (!query.matches(entry.summary())) {
                    continue;
                }
                if (selected.size() == limit) {
                    more = true;
                    break;
                }
                selected.add(entry);
                lastSequence = entry.sequence();
            }
        }
        List<DeadLetter> page = new ArrayList<>(selected.size());
        for (Entry entry : selected) {
            read(entry).ifPresent(page::add);
        }
        return new DeadLetterPage(page, more ? Long.toString(lastSequence) : null);
    }

    @Override
    public Optional<DeadLetter> get(String id) {
        Entry entry;
        synchronized (this) {
            entry = index.get(id);
        }
        return entry == null ? Optional.empty() : read(entry);
    }

    /**
     * Reads the whole letter of an entry from the journal, or from memory while it is being written.
     * Returns empty if the letter was removed meanwhile.
     */
    private Optional<DeadLetter> read(Entry entry) {
        DeadLetter pending = entry.pending();
        if (pending != null) {
            return Optional.of(pending);
        }
        Optional<DeadLetter> letter;
        journalLock.readLock().lock();
        try {
            long journalIndex = entry.journalIndex();
            letter = JournalReader.read(writer.queue(), journalIndex)
                    .map(record -> DeadLetterRecords.decode(record).letter())
                    .filter(read -> read.id().equals(entry.id()));
        } finally {
            journalLock.readLock().unlock();
        }
        if (letter.isEmpty() && isStored(entry)) {
            throw new BrokerException("dead letter " + entry.id() + " not found at index "
                    + Long.toHexString(entry.journalIndex()) + " of " + directory);
        }
        // Empty if a compaction moved the records after the letter was removed.
        return letter;
    }

    private synchronized boolean isStored(Entry entry) {
        return index.get(entry.id()) == entry;
    }

    @Override
    public boolean remove(String id) {
        CompletableFuture<Long> removal;
        synchronized (this) {
            if (index.remove(id) == null) {
                return false;
            }
            // Handed over under the monitor, so a later letter with the same id follows the removal.
            removal = writer.appendRemoval(DeadLetterRecords.removal(id));
        }
        awaitRemovals(List.of(removal));
        return true;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Hands the removal records to the writer {@value #PURGE_CHUNK} at a time and waits for each
     * chunk, so a large purge cannot fill the writer's queue. The letters to remove are those that match
     * when the purge starts, so a letter appended during the purge stays.
     */
    @Override
    public long purge(DeadLetterQuery query) {
        List<Entry> matching;
        synchronized (this) {
            matching = index.entries().stream().filter(entry -> query.matches(entry.summary())).toList();
        }
        long purged = 0;
        for (int start = 0; start < matching.size(); start += PURGE_CHUNK) {
            List<CompletableFuture<Long>> removals = new ArrayList<>();
            synchronized (this) {
                for (Entry entry : matching.subList(start, Math.min(matching.size(), start + PURGE_CHUNK))) {
                    // A letter removed since the scan has its removal record already.
                    if (index.remove(entry)) {
                        removals.add(writer.appendRemoval(DeadLetterRecords.removal(entry.id())));
                    }
                }
            }
            awaitRemovals(removals);
            purged += removals.size();
        }
        return purged;
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
            return index.size();
        }
        return index.entries().stream().filter(entry -> query.matches(entry.summary())).count();
    }

    /** Returns how many letters the retention dropped since the store was opened. */
    @Override
    public long droppedCount() {
        return retentionCheck.droppedCount();
    }

    /** Returns the number of the journal generation in use, which compaction increments. */
    int generation() {
        return compaction.generation();
    }

    /** Runs the retention check on the writer thread and waits for it, so open returns without expired letters. */
    private void enforceRetentionAtOpen() {
        if (retentionCheck.keepsEverything()) {
            return;
        }
        CompletableFuture<Void> checked = new CompletableFuture<>();
        try {
            writer.submit(() -> {
                try {
                    retentionCheck.run(true);
                } finally {
                    checked.complete(null);
                }
            }, () -> checked.complete(null));
            checked.get(OPEN_RETENTION_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("The retention check of the dead-letter journal {} did not finish within {} s at open; "
                    + "it goes on in the background", directory, OPEN_RETENTION_TIMEOUT_SECONDS, e);
        }
    }

    /**
     * Appends the removal record of a dropped letter at once. It is written also above the size cap,
     * but not when free space is short. Writer thread only.
     */
    private void writeRemovalNow(String id) {
        writer.appendRemovalNow(DeadLetterRecords.removal(id));
    }

    /** Moves the entries to the compacted generation while no journal read runs. Writer thread. */
    private void switchGeneration(LiveRecords copied, Runnable switchJournal) {
        DeadLetterLiveRecords copiedLetters = (DeadLetterLiveRecords) copied;
        journalLock.writeLock().lock();
        try {
            switchJournal.run();
            int lost = 0;
            synchronized (this) {
                for (Entry entry : index.entries()) {
                    if (entry.written()) {
                        long moved = copiedLetters.indexOf(entry.id());
                        lost += moved < 0 ? 1 : 0;
                        entry.writtenAt(moved);
                    }
                }
            }
            if (lost > 0) {
                LOG.error("{} dead letters of {} were not copied by compaction; reading them fails", lost, directory);
            }
        } finally {
            journalLock.writeLock().unlock();
        }
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

    /**
     * Stops a running compaction, writes the records handed over so far, then closes the journal and
     * releases the directory lock.
     */
    @Override
    public void close() {
        try {
            compaction.stop();
            writer.close();
        } finally {
            try {
                writer.queue().close();
            } finally {
                lock.close();
            }
        }
    }

    @Override
    public String toString() {
        return "ChronicleDeadLetterStore{" + directory + '}';
    }

    /** The writer thread's hooks: records where letters were written, applies retention, starts compaction. */
    private final class WriterHooks implements JournalWriter.Listener {

        @Override
        public void appended(byte[] record, long journalIndex) {
            compaction.appended(record, journalIndex);
            synchronized (ChronicleDeadLetterStore.this) {
                Entry entry = pendingRecords.remove(record);
                if (entry != null) {
                    entry.writtenAt(journalIndex);
                }
            }
        }

        @Override
        public void afterBatch() {
            maintain();
        }

        @Override
        public void idle() {
            maintain();
        }

        private void maintain() {
            if (!retentionCheck.keepsEverything()) {
                retentionCheck.run(false);
            }
            compaction.afterBatch();
        }
    }
}
