package io.petrel.persistence.chronicle;

import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Compaction of a journal kept in generations (see {@link JournalGenerations}). When more than half
 * of at least {@code minRecords} records are dead, it copies the live records into the next
 * generation on a daemon thread, while the writer goes on appending to the current one. The writer
 * thread then copies the records appended meanwhile, lets the store move its journal indices to the
 * new generation, marks it complete, switches to it and deletes the old generation. Only that final
 * step pauses the writer.
 *
 * <p>The store decides which records are live. It reports each record appended to the current
 * generation with {@link #recordAppended} and offers a compaction with {@link #maybeStart}.
 *
 * <p>Threads: the record count belongs to the writer thread, which calls {@link #recordAppended},
 * {@link #maybeStart} and the final step; {@link #recordsLoaded} runs before the writer starts.
 */
final class JournalCompaction {

    /** The store's side of the switch to the new generation. */
    interface Switch {

        /**
         * Moves the store's journal indices to the new generation with {@code relocation}, and runs
         * {@code switchJournal}, which makes the writer append to the new generation and closes the
         * old one. Called on the writer thread, so no record is appended meanwhile.
         */
        void switchGeneration(Relocation relocation, Runnable switchJournal);
    }

    /** The index in the new generation of each copied record, by its index in the old one. */
    static final class Relocation {

        private long[] oldIndices = new long[16];
        private long[] newIndices = new long[16];
        private int size;

        /** Records a copy. Old indices are added in increasing order. */
        private void add(long oldIndex, long newIndex) {
            if (size == oldIndices.length) {
                oldIndices = Arrays.copyOf(oldIndices, size * 2);
                newIndices = Arrays.copyOf(newIndices, size * 2);
            }
            oldIndices[size] = oldIndex;
            newIndices[size] = newIndex;
            size++;
        }

        /** Returns the index in the new generation of the record at {@code oldIndex}, or -1 if it was not copied. */
        long newIndex(long oldIndex) {
            int position = Arrays.binarySearch(oldIndices, 0, size, oldIndex);
            return position < 0 ? -1 : newIndices[position];
        }

        /** Returns the number of copied records. */
        int size() {
            return size;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(JournalCompaction.class);
    private static final long STOP_TIMEOUT_SECONDS = 10;

    private final String journalName;
    private final String threadName;
    private final Path storeDirectory;
    private final RollCycle rollCycle;
    private final int minRecords;
    private final Switch storeSwitch;
    private JournalWriter writer;
    private volatile int generation;
    private volatile boolean compacting;
    private volatile boolean stopping;
    private volatile Thread copier;
    private long nextAttemptRecords;
    // Owned by the writer thread once it runs.
    private long records;

    /**
     * Creates the compaction of the journal under {@code storeDirectory}, now at {@code generation}.
     *
     * @param journalName name of the journal in log lines, such as {@code retained}
     * @param threadName  name of the thread that copies the live records
     */
    JournalCompaction(String journalName, String threadName, Path storeDirectory, int generation, RollCycle rollCycle,
                      int minRecords, Switch storeSwitch) {
        this.journalName = journalName;
        this.threadName = threadName;
        this.storeDirectory = storeDirectory;
        this.generation = generation;
        this.rollCycle = rollCycle;
        this.minRecords = minRecords;
        this.storeSwitch = storeSwitch;
        this.nextAttemptRecords = minRecords;
    }

    static ChronicleQueue openQueue(Path directory, RollCycle rollCycle) {
        return ChronicleQueue.singleBuilder(directory).rollCycle(rollCycle).build();
    }

    void attach(JournalWriter journalWriter) {
        this.writer = journalWriter;
    }

    /** Returns the number of the generation in use. */
    int generation() {
        return generation;
    }

    /** Sets the number of records that the store read from the current generation at open. */
    void recordsLoaded(long count) {
        records = count;
    }

    /** Counts a record appended to the current generation. Writer thread only. */
    void recordAppended() {
        records++;
    }

    /**
     * Starts a compaction if none runs and more than half of at least {@code minRecords} records are
     * dead. Writer thread only.
     *
     * @param liveRecords  the number of live records
     * @param liveIndices  supplies the journal indices of the live records, in any order
     */
    void maybeStart(long liveRecords, Supplier<long[]> liveIndices) {
        if (compacting || stopping || records < nextAttemptRecords || liveRecords * 2 >= records) {
            return;
        }
        compacting = true;
        nextAttemptRecords = records + minRecords;
        ChronicleQueue source = writer.queue();
        long[] indices = liveIndices.get();
        Arrays.sort(indices);
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
            Relocation relocation = new Relocation();
            try (ExcerptAppender appender = targetQueue.createAppender();
                 ExcerptTailer tailer = source.createTailer()) {
                for (long index : indices) {
                    if (stopping) {
                        return;
                    }
                    byte[] record = JournalReader.read(tailer, index).orElseThrow(() -> new IllegalStateException(
                            "record " + Long.toHexString(index) + " not found in " + source.file()));
                    relocation.add(index, append(appender, record));
                }
            }
            ChronicleQueue copy = targetQueue;
            writer.submit(() -> finish(source, copy, target, next, relocation, snapshotEnd),
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
     * the store and the writer to it. Runs on the writer thread, so no record is appended meanwhile.
     */
    private void finish(ChronicleQueue source, ChronicleQueue target, Path targetDirectory, int next,
                        Relocation relocation, long snapshotEnd) {
        boolean[] switched = new boolean[1];
        try {
            long copiedRecords = relocation.size();
            try (ExcerptAppender appender = target.createAppender();
                 ExcerptTailer tailer = source.createTailer()) {
                if (snapshotEnd >= 0) {
                    // Positions the tailer after the last record of the snapshot.
                    JournalReader.read(tailer, snapshotEnd);
                }
                while (JournalReader.next(tailer, (index, record) -> relocation.add(index, append(appender, record)))) {
                    // Every record appended since the snapshot is copied, dead or not.
                }
            }
            long caughtUp = relocation.size() - copiedRecords;
            JournalGenerations.markComplete(targetDirectory);
            storeSwitch.switchGeneration(relocation, () -> {
                writer.switchTo(target);
                switched[0] = true;
                source.close();
            });
            records = copiedRecords + caughtUp;
            generation = next;
            JournalGenerations.delete(JournalGenerations.directory(storeDirectory, next - 1));
            LOG.info("Compacted the {} journal into {}: {} records, {} of them appended during the copy",
                    journalName, targetDirectory, records, caughtUp);
        } catch (RuntimeException e) {
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
