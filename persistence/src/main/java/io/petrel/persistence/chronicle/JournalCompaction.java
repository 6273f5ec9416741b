package io.petrel.persistence.chronicle;

import io.petrel.api.store.StoreOptions;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Compaction of a journal kept in generations (see {@link JournalGenerations}). It tracks the live
 * records with a {@link LiveRecords}. When more than half of at least {@code minRecords} records are
 * dead, or of any number once the size cap rejected a record, it copies the live records into the next
 * generation on a daemon thread of its own, while the writer goes on appending to the current one. The writer then copies the records appended
 * meanwhile, marks the new generation complete and switches to it, and the old generation is
 * deleted.
 *
 * <p>Compaction ignores the size cap, because it is what shrinks the journal, but not the free space
 * reserve: it starts only if the file system can take a copy of the live records and keep the reserve,
 * and the copy stops when free space falls to the reserve. With {@link StoreOptions.Sync#BATCH} the new
 * generation is forced to the storage device before it is marked complete and after, so a power loss
 * cannot leave a complete generation whose records were not written.
 *
 * <p>A store that keeps journal indices of its own, such as the dead-letter store, passes a
 * {@link Switch} that moves them to the new generation while the writer switches to it.
 *
 * <p>Threads: the tracking state belongs to the writer thread, which calls {@link #appended},
 * {@link #afterBatch} and the final step; {@link #load} and {@link #loaded} run before the writer
 * starts.
 */
final class JournalCompaction implements JournalWriter.Listener {

    /** The store's side of the switch to a compacted generation. */
    @FunctionalInterface
    interface Switch {

        /**
         * Runs {@code switchJournal}, which makes the writer append to the new generation, and moves
         * the store's journal indices to it: {@code copied} has the index in the new generation of
         * each live record. Called on the writer thread, so no record is appended meanwhile.
         */
        void switchGeneration(LiveRecords copied, Runnable switchJournal);
    }

    /** The queue in use and the journal indices of its live records, in copy order. */
    record LiveSnapshot(ChronicleQueue queue, long[] indices) {
    }

    private static final Switch WRITER_ONLY = (copied, switchJournal) -> switchJournal.run();

    private static final Logger LOG = LoggerFactory.getLogger(JournalCompaction.class);
    private static final long STOP_TIMEOUT_SECONDS = 10;
    // Records copied between two checks of the free space.
    private static final int FREE_SPACE_CHECK_RECORDS = 64;
    /** Records appended between two compaction attempts while the size cap rejects records. */
    private static final int CAP_RETRY_RECORDS = 100;

    private final String journalName;
    private final String threadName;
    private final Path storeDirectory;
    private final RollCycle rollCycle;
    private final int minRecords;
    private final StoreOptions.Sync sync;
    private final Supplier<LiveRecords> emptyLiveRecords;
    private final Switch storeSwitch;
    private JournalWriter writer;
    private volatile int generation;
    private volatile boolean compacting;
    private volatile boolean stopping;
    private volatile Thread copier;
    private volatile long nextAttemptRecords;
    private volatile long nextCapAttemptRecords;
    // Owned by the writer thread once it runs.
    private LiveRecords live;
    private long records;

    /**
     * Creates the compaction of the journal in {@code storeDirectory}, now at {@code generation}.
     *
     * @param journalName      what the log lines call the journal, such as {@code retained}
     * @param threadName       name of the thread that copies the live records
     * @param emptyLiveRecords creates an empty live set, once per generation
     * @param sync             the sync mode of the store, which the new generation's queue gets too
     */
    JournalCompaction(String journalName, String threadName, Path storeDirectory, int generation,
                      RollCycle rollCycle, int minRecords, Supplier<LiveRecords> emptyLiveRecords,
                      StoreOptions.Sync sync) {
        this(journalName, threadName, storeDirectory, generation, rollCycle, minRecords, emptyLiveRecords, sync,
                WRITER_ONLY);
    }

    /**
     * Creates the compaction of a journal whose store moves journal indices of its own with
     * {@code storeSwitch} when the writer switches to a compacted generation.
     */
    JournalCompaction(String journalName, String threadName, Path storeDirectory, int generation,
                      RollCycle rollCycle, int minRecords, Supplier<LiveRecords> emptyLiveRecords,
                      StoreOptions.Sync sync, Switch storeSwitch) {
        this.storeSwitch = storeSwitch;
        this.journalName = journalName;
        this.sync = sync;
        this.threadName = threadName;
        this.storeDirectory = storeDirectory;
        this.generation = generation;
        this.rollCycle = rollCycle;
        this.minRecords = minRecords;
        this.nextAttemptRecords = minRecords;
        this.emptyLiveRecords = emptyLiveRecords;
        this.live = emptyLiveRecords.get();
    }

    /** Reads the journal of the current generation to find its live records. */
    void load(ChronicleQueue queue) {
        JournalReader.readAll(queue, this::loaded);
    }

    /** Prepares the live set of the current generation for {@code records} records. Before the writer starts. */
    void reserve(long records) {
        live.reserve(records);
    }

    /**
     * Tracks a record of the current generation that the store read at open, for a store that reads
     * its journal itself instead of calling {@link #load}.
     *
     * @return false if the record cannot be decoded; it counts as dead, and the caller logs it
     */
    boolean loaded(long index, byte[] record) {
        records++;
        try {
            live.track(record, index);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Returns the queue in use and the journal indices of its live records, taken on the writer
     * thread between two batches. A reader may use the queue until the next compaction switches the
     * journal.
     *
     * @throws IllegalStateException if the writer is closed
     * @throws InterruptedException  if interrupted while waiting for the writer thread
     */
    LiveSnapshot liveSnapshot() throws InterruptedException {
        CompletableFuture<LiveSnapshot> snapshot = new CompletableFuture<>();
        writer.submit(() -> snapshot.complete(new LiveSnapshot(writer.queue(), live.copyOrder())),
                () -> snapshot.completeExceptionally(new IllegalStateException("the " + journalName
                        + " journal is closed")));
        try {
            return snapshot.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        }
    }

    void attach(JournalWriter journalWriter) {
        this.writer = journalWriter;
    }

    int generation() {
        return generation;
    }

    @Override
    public void appended(byte[] record, long index) {
        records++;
        live.track(record, index);
    }

    @Override
    public void afterBatch() {
        if (compacting || stopping || live.count() * 2L >= records) {
            return;
        }
        StorageGuard guard = writer.guard();
        // Under the size cap, clearing data frees nothing until compaction runs, so do not wait for minRecords.
        if (records < (guard.capReached() ? nextCapAttemptRecords : nextAttemptRecords)) {
            return;
        }
        nextAttemptRecords = records + minRecords;
        nextCapAttemptRecords = records + CAP_RETRY_RECORDS;
        ChronicleQueue source = writer.queue();
        long estimatedCopyBytes = guard.journalBytes() * live.count() / Math.max(1, records);
        if (guard.freeBytes() - estimatedCopyBytes < guard.minFreeBytes()) {
            LOG.warn("Not compacting the {} journal {}: a copy of its live records needs about {} bytes, and the "
                    + "file system has {} bytes free, of which {} are kept free", journalName, source.file(),
                    estimatedCopyBytes, guard.freeBytes(), guard.minFreeBytes());
            return;
        }
        compacting = true;
        long[] indices = live.copyOrder();
        long snapshotEnd = source.lastIndex();
        int next = generation + 1;
        LOG.info("Compacting the {} journal {}: {} records, {} of them live", journalName, source.file(), records,
                indices.length);
        long minFreeBytes = guard.minFreeBytes();
        Thread thread = new Thread(() -> copy(source, indices, snapshotEnd, next, minFreeBytes), threadName);
        thread.setDaemon(true);
        synchronized (this) {
            // A stop() that has already looked for the copier would not wait for this thread.
            if (stopping) {
                compacting = false;
                return;
            }
            copier = thread;
            thread.start();
        }
    }

    /** Copies the live records into generation {@code next}. Runs on the compaction thread. */
    private void copy(ChronicleQueue source, long[] indices, long snapshotEnd, int next, long minFreeBytes) {
        Path target = JournalGenerations.directory(storeDirectory, next);
        ChronicleQueue targetQueue = null;
        try {
            JournalGenerations.delete(target);
            targetQueue = LockedJournal.openQueue(target, rollCycle, sync);
            FileStore fileStore = Files.getFileStore(target);
            LiveRecords copied = emptyLiveRecords.get();
            try (ExcerptAppender appender = targetQueue.createAppender();
                 ExcerptTailer tailer = source.createTailer()) {
                int sinceCheck = 0;
                for (long index : indices) {
                    if (stopping) {
                        return;
                    }
                    if (++sinceCheck == FREE_SPACE_CHECK_RECORDS) {
                        sinceCheck = 0;
                        if (fileStore.getUsableSpace() < minFreeBytes) {
                            LOG.warn("Stopped compacting the {} journal {}: its file system has less than {} bytes "
                                    + "free", journalName, source.file(), minFreeBytes);
                            return;
                        }
                    }
                    byte[] record = JournalReader.read(tailer, index).orElseThrow(() -> new IllegalStateException(
                            "record " + Long.toHexString(index) + " not found in " + source.file()));
                    copied.track(record, append(appender, record));
                }
            }
            ChronicleQueue copy = targetQueue;
            writer.submit(() -> finish(source, copy, target, next, copied, snapshotEnd, indices.length),
                    () -> abandon(copy, target));
            targetQueue = null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException | InternalError e) {
            // InternalError: a page of the copy could not be backed because the file system filled up.
            LOG.error("Failed to compact the {} journal {} into {}", journalName, source.file(), target, e);
        } finally {
            if (targetQueue != null) {
                abandon(targetQueue, target);
            }
        }
    }

    /**
     * Copies the records appended since the snapshot, marks the new generation complete and switches
     * the writer to it. Runs on the writer thread, so no record is appended meanwhile.
     */
    private void finish(ChronicleQueue source, ChronicleQueue target, Path targetDirectory, int next,
                        LiveRecords copied, long snapshotEnd, long copiedRecords) {
        boolean[] switched = new boolean[1];
        try {
            long caughtUp = 0;
            try (ExcerptAppender appender = target.createAppender();
                 ExcerptTailer tailer = source.createTailer()) {
                if (snapshotEnd >= 0) {
                    // Positions the tailer after the last record of the snapshot.
                    JournalReader.read(tailer, snapshotEnd);
                }
                for (Optional<byte[]> record = JournalReader.next(tailer); record.isPresent();
                     record = JournalReader.next(tailer)) {
                    copied.track(record.get(), append(appender, record.get()));
                    caughtUp++;
                }
            }
            if (sync == StoreOptions.Sync.BATCH) {
                JournalGenerations.force(targetDirectory);
            }
            JournalGenerations.markComplete(targetDirectory);
            if (sync == StoreOptions.Sync.BATCH) {
                JournalGenerations.force(targetDirectory);
            }
            storeSwitch.switchGeneration(copied, () -> {
                writer.switchTo(target);
                switched[0] = true;
            });
            live = copied;
            records = copiedRecords + caughtUp;
            generation = next;
            source.close();
            JournalGenerations.delete(storeDirectory, next - 1);
            LOG.info("Compacted the {} journal into {}: {} records", journalName, targetDirectory, records);
        } catch (RuntimeException | InternalError e) {
            LOG.error("Failed to switch the {} journal to {}", journalName, targetDirectory, e);
            if (!switched[0]) {
                abandon(target, targetDirectory);
            }
        } finally {
            compacting = false;
        }
    }

    private void abandon(ChronicleQueue queue, Path directory) {
        try {
            queue.close();
            JournalGenerations.delete(directory);
        } catch (RuntimeException e) {
            LOG.warn("Failed to delete the unfinished journal {}; the next start deletes it", directory, e);
        } finally {
            compacting = false;
        }
    }

    /** Stops a running copy and waits for its thread. */
    void stop() {
        Thread thread;
        synchronized (this) {
            stopping = true;
            thread = copier;
        }
        if (thread == null) {
            return;
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(STOP_TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long append(ExcerptAppender appender, byte[] record) {
        try (DocumentContext document = appender.writingDocument()) {
            document.wire().bytes().write(record);
        }
        return appender.lastIndexAppended();
    }
}
