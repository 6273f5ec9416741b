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
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Compaction of the retained journal. It tracks, for each retained topic, the journal index of the
 * record that set it. When more than half of at least {@code minRecords} records are dead (replaced
 * or cleared), it copies the live records into the next journal generation on the daemon thread
 * {@value #THREAD_NAME}, while the writer goes on appending to the current one. The writer then
 * copies the records appended meanwhile, marks the new generation complete and switches to it, and
 * the old generation is deleted.
 *
 * <p>Compaction ignores the size cap, because it is what shrinks the journal, but not the free space
 * reserve: it starts only if the file system can take a copy of the live records and keep the reserve,
 * and the copy stops when free space falls to the reserve. With {@link StoreOptions.Sync#BATCH} the new
 * generation is forced to the storage device before it is marked complete and after, so a power loss
 * cannot leave a complete generation whose records were not written.
 *
 * <p>Threads: the tracking state belongs to the writer thread, which calls {@link #appended},
 * {@link #afterBatch} and the final step; {@link #load} runs before the writer starts.
 */
final class RetainedCompaction implements JournalWriter.Listener {

    /** Name of the thread that copies the live records. */
    static final String THREAD_NAME = "petrel-retained-compaction";

    private static final Logger LOG = LoggerFactory.getLogger(RetainedCompaction.class);
    private static final long STOP_TIMEOUT_SECONDS = 10;
    // Records copied between two checks of the free space.
    private static final int FREE_SPACE_CHECK_RECORDS = 64;

    private final Path storeDirectory;
    private final RollCycle rollCycle;
    private final int minRecords;
    private final StoreOptions.Sync sync;
    private JournalWriter writer;
    private volatile int generation;
    private volatile boolean compacting;
    private volatile boolean stopping;
    private volatile Thread copier;
    private volatile long nextAttemptRecords;
    // Owned by the writer thread once it runs.
    private Map<String, Long> liveIndex = new HashMap<>();
    private long records;

    RetainedCompaction(Path storeDirectory, int generation, RollCycle rollCycle, int minRecords,
                       StoreOptions.Sync sync) {
        this.storeDirectory = storeDirectory;
        this.sync = sync;
        this.generation = generation;
        this.rollCycle = rollCycle;
        this.minRecords = minRecords;
        this.nextAttemptRecords = minRecords;
    }

    /** Reads the journal of the current generation to find its live records. */
    void load(ChronicleQueue queue) {
        JournalReader.readAll(queue, (index, record) -> {
            records++;
            try {
                track(liveIndex, record, index);
            } catch (RuntimeException e) {
                // A damaged record counts as dead; the store logs it when it reads the journal.
            }
        });
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
        track(liveIndex, record, index);
    }

    @Override
    public void afterBatch() {
        if (compacting || stopping || records < nextAttemptRecords || liveIndex.size() * 2L >= records) {
            return;
        }
        nextAttemptRecords = records + minRecords;
        ChronicleQueue source = writer.queue();
        StorageGuard guard = writer.guard();
        long estimatedCopyBytes = guard.journalBytes() * liveIndex.size() / Math.max(1, records);
        if (guard.freeBytes() - estimatedCopyBytes < guard.minFreeBytes()) {
            LOG.warn("Not compacting the retained journal {}: a copy of its live records needs about {} bytes, and "
                    + "the file system has {} bytes free, of which {} are kept free", source.file(),
                    estimatedCopyBytes, guard.freeBytes(), guard.minFreeBytes());
            return;
        }
        compacting = true;
        long[] indices = liveIndex.values().stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(indices);
        long snapshotEnd = source.lastIndex();
        int next = generation + 1;
        LOG.info("Compacting the retained journal {}: {} records, {} of them live", source.file(), records,
                indices.length);
        long minFreeBytes = guard.minFreeBytes();
        Thread thread = new Thread(() -> copy(source, indices, snapshotEnd, next, minFreeBytes), THREAD_NAME);
        thread.setDaemon(true);
        copier = thread;
        thread.start();
    }

    /** Copies the live records into generation {@code next}. Runs on the compaction thread. */
    private void copy(ChronicleQueue source, long[] indices, long snapshotEnd, int next, long minFreeBytes) {
        Path target = JournalGenerations.directory(storeDirectory, next);
        ChronicleQueue targetQueue = null;
        try {
            JournalGenerations.delete(target);
            targetQueue = LockedJournal.openQueue(target, rollCycle, sync);
            FileStore fileStore = Files.getFileStore(target);
            Map<String, Long> copied = new HashMap<>();
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
                            LOG.warn("Stopped compacting the retained journal {}: its file system has less than "
                                    + "{} bytes free", source.file(), minFreeBytes);
                            return;
                        }
                    }
                    byte[] record = JournalReader.read(tailer, index).orElseThrow(() -> new IllegalStateException(
                            "record " + Long.toHexString(index) + " not found in " + source.file()));
                    copied.put(ChronicleRetainedStore.topicOf(record), append(appender, record));
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
            LOG.error("Failed to compact the retained journal {} into {}", source.file(), target, e);
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
                        Map<String, Long> copied, long snapshotEnd, long copiedRecords) {
        boolean switched = false;
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
                    track(copied, record.get(), append(appender, record.get()));
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
            writer.switchTo(target);
            switched = true;
            liveIndex = copied;
            records = copiedRecords + caughtUp;
            generation = next;
            source.close();
            JournalGenerations.delete(JournalGenerations.directory(storeDirectory, next - 1));
            LOG.info("Compacted the retained journal into {}: {} records", targetDirectory, records);
        } catch (RuntimeException | InternalError e) {
            LOG.error("Failed to switch the retained journal to {}", targetDirectory, e);
            if (!switched) {
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
        stopping = true;
        Thread thread = copier;
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

    private static void track(Map<String, Long> live, byte[] record, long index) {
        String topic = ChronicleRetainedStore.topicOf(record);
        if (ChronicleRetainedStore.isClear(record)) {
            live.remove(topic);
        } else {
            live.put(topic, index);
        }
    }
}
