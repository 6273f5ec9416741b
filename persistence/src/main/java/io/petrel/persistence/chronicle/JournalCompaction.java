package io.petrel.persistence.chronicle;

import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Compaction of a journal kept in generations (see {@link JournalGenerations}). It tracks the live
 * records with a {@link LiveRecords}. When more than half of at least {@code minRecords} records are
 * dead, it copies the live records into the next generation on a daemon thread of its own, while the
 * writer goes on appending to the current one. The writer then copies the records appended
 * meanwhile, marks the new generation complete and switches to it, and the old generation is
 * deleted.
 *
 * <p>Threads: the tracking state belongs to the writer thread, which calls {@link #appended},
 * {@link #afterBatch} and the final step; {@link #load} runs before the writer starts.
 */
final class JournalCompaction implements JournalWriter.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(JournalCompaction.class);
    private static final long STOP_TIMEOUT_SECONDS = 10;

    private final String journalName;
    private final String threadName;
    private final Path storeDirectory;
    private final RollCycle rollCycle;
    private final int minRecords;
    private final Supplier<LiveRecords> emptyLiveRecords;
    private JournalWriter writer;
    private volatile int generation;
    private volatile boolean compacting;
    private volatile boolean stopping;
    private volatile Thread copier;
    private volatile long nextAttemptRecords;
    // Owned by the writer thread once it runs.
    private LiveRecords live;
    private long records;

    /**
     * Creates the compaction of the journal in {@code storeDirectory}, now at {@code generation}.
     *
     * @param journalName      what the log lines call the journal, such as {@code retained}
     * @param threadName       name of the thread that copies the live records
     * @param emptyLiveRecords creates an empty live set, once per generation
     */
    JournalCompaction(String journalName, String threadName, Path storeDirectory, int generation,
                      RollCycle rollCycle, int minRecords, Supplier<LiveRecords> emptyLiveRecords) {
        this.journalName = journalName;
        this.threadName = threadName;
        this.storeDirectory = storeDirectory;
        this.generation = generation;
        this.rollCycle = rollCycle;
        this.minRecords = minRecords;
        this.nextAttemptRecords = minRecords;
        this.emptyLiveRecords = emptyLiveRecords;
        this.live = emptyLiveRecords.get();
    }

    static ChronicleQueue openQueue(Path directory, RollCycle rollCycle) {
        return ChronicleQueue.singleBuilder(directory).rollCycle(rollCycle).build();
    }

    /** Reads the journal of the current generation to find its live records. */
    void load(ChronicleQueue queue) {
        JournalReader.readAll(queue, (index, record) -> {
            records++;
            try {
                live.track(record, index);
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
        live.track(record, index);
    }

    @Override
    public void afterBatch() {
        if (compacting || stopping || records < nextAttemptRecords || live.count() * 2L >= records) {
            return;
        }
        compacting = true;
        nextAttemptRecords = records + minRecords;
        ChronicleQueue source = writer.queue();
        long[] indices = live.copyOrder();
        long snapshotEnd = source.lastIndex();
        int next = generation + 1;
        LOG.info("Compacting the {} journal {}: {} records, {} of them live", journalName, source.file(), records,
                indices.length);
        Thread thread = new Thread(() -> copy(source, indices, snapshotEnd, next), threadName);
        thread.setDaemon(true);
        copier = thread;
        thread.start();
    }

    /** Copies the live records into generation {@code next}. Runs on the compaction thread. */
    private void copy(ChronicleQueue source, long[] indices, long snapshotEnd, int next) {
        Path target = JournalGenerations.directory(storeDirectory, next);
        ChronicleQueue targetQueue = null;
        try {
            JournalGenerations.delete(target);
            targetQueue = openQueue(target, rollCycle);
            LiveRecords copied = emptyLiveRecords.get();
            try (ExcerptAppender appender = targetQueue.createAppender();
                 ExcerptTailer tailer = source.createTailer()) {
                for (long index : indices) {
                    if (stopping) {
                        return;
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
        } catch (RuntimeException e) {
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
                    copied.track(record.get(), append(appender, record.get()));
                    caughtUp++;
                }
            }
            JournalGenerations.markComplete(targetDirectory);
            writer.switchTo(target);
            switched = true;
            live = copied;
            records = copiedRecords + caughtUp;
            generation = next;
            source.close();
            JournalGenerations.delete(storeDirectory, next - 1);
            LOG.info("Compacted the {} journal into {}: {} records", journalName, targetDirectory, records);
        } catch (RuntimeException e) {
            LOG.error("Failed to switch the {} journal to {}", journalName, targetDirectory, e);
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
}
