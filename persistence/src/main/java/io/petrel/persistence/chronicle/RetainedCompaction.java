package io.petrel.persistence.chronicle;

import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Compaction of the retained journal. It tracks, for each retained topic, the journal index of the
 * record that set it, so the other records are dead (replaced or cleared), and lets
 * {@link JournalCompaction} copy the live ones into the next generation on the daemon thread
 * {@value #THREAD_NAME}.
 *
 * <p>Threads: the tracking state belongs to the writer thread, which calls {@link #appended},
 * {@link #afterBatch} and the switch; {@link #load} runs before the writer starts.
 */
final class RetainedCompaction implements JournalWriter.Listener, JournalCompaction.Switch {

    /** Name of the thread that copies the live records. */
    static final String THREAD_NAME = "petrel-retained-compaction";

    private static final Logger LOG = LoggerFactory.getLogger(RetainedCompaction.class);

    private final JournalCompaction compaction;
    // Owned by the writer thread once it runs.
    private Map<String, Long> liveIndex = new HashMap<>();

    RetainedCompaction(Path storeDirectory, int generation, RollCycle rollCycle, int minRecords) {
        this.compaction = new JournalCompaction("retained", THREAD_NAME, storeDirectory, generation, rollCycle,
                minRecords, this);
    }

    static ChronicleQueue openQueue(Path directory, RollCycle rollCycle) {
        return JournalCompaction.openQueue(directory, rollCycle);
    }

    /**
     * Reads the journal of the current generation to find its live records, and logs each record
     * that cannot be decoded at WARN: it counts as dead.
     */
    void load(ChronicleQueue queue) {
        if (queue instanceof SingleChronicleQueue single) {
            // Sized for every record being live, so the map does not grow step by step at start.
            long entries = Math.min(single.entryCount(), Integer.MAX_VALUE / 2);
            liveIndex = new HashMap<>((int) (entries * 4 / 3 + 1));
        }
        long[] skipped = new long[1];
        long records = JournalReader.readAll(queue, (index, record) -> {
            try {
                track(record, index);
            } catch (RuntimeException e) {
                skipped[0]++;
                LOG.warn("Skipped the retained record at index {} of {}: {}", Long.toHexString(index), queue.file(),
                        e.toString());
            }
        });
        compaction.recordsLoaded(records);
        LOG.info("Opened the retained journal {}: {} records, {} retained topics, {} records skipped", queue.file(),
                records, liveIndex.size(), skipped[0]);
    }

    /**
     * Returns the journal of the writer and the sorted journal indices of its live records, taken on
     * the writer thread between two batches.
     *
     * @throws IllegalStateException if the writer is closed
     * @throws InterruptedException  if interrupted while waiting for the writer thread
     */
    LiveRecords liveRecords(JournalWriter writer) throws InterruptedException {
        CompletableFuture<LiveRecords> snapshot = new CompletableFuture<>();
        writer.submit(() -> {
            long[] indices = liveIndex.values().stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(indices);
            snapshot.complete(new LiveRecords(writer.queue(), indices));
        }, () -> snapshot.completeExceptionally(new IllegalStateException("the retained store is closed")));
        try {
            return snapshot.get();
        } catch (ExecutionException e) {
            throw (RuntimeException) e.getCause();
        }
    }

    /** A journal and the sorted journal indices of its live records. */
    record LiveRecords(ChronicleQueue queue, long[] indices) {
    }

    void attach(JournalWriter journalWriter) {
        compaction.attach(journalWriter);
    }

    int generation() {
        return compaction.generation();
    }

    @Override
    public void appended(byte[] record, long index) {
        compaction.recordAppended();
        track(record, index);
    }

    @Override
    public void afterBatch() {
        compaction.maybeStart(liveIndex.size(),
                () -> liveIndex.values().stream().mapToLong(Long::longValue).toArray());
    }

    @Override
    public void switchGeneration(JournalCompaction.Relocation relocation, Runnable switchJournal) {
        switchJournal.run();
        liveIndex.replaceAll((topic, index) -> relocation.newIndex(index));
    }

    /** Stops a running copy and waits for its thread. */
    void stop() {
        compaction.stop();
    }

    private void track(byte[] record, long index) {
        String topic = ChronicleRetainedStore.topicOf(record);
        if (ChronicleRetainedStore.isClear(record)) {
            liveIndex.remove(topic);
        } else {
            liveIndex.put(topic, index);
        }
    }
}
