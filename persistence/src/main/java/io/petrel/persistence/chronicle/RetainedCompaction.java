package io.petrel.persistence.chronicle;

import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.RollCycle;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

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

    private final JournalCompaction compaction;
    // Owned by the writer thread once it runs.
    private final Map<String, Long> liveIndex = new HashMap<>();

    RetainedCompaction(Path storeDirectory, int generation, RollCycle rollCycle, int minRecords) {
        this.compaction = new JournalCompaction("retained", THREAD_NAME, storeDirectory, generation, rollCycle,
                minRecords, this);
    }

    static ChronicleQueue openQueue(Path directory, RollCycle rollCycle) {
        return JournalCompaction.openQueue(directory, rollCycle);
    }

    /** Reads the journal of the current generation to find its live records. */
    void load(ChronicleQueue queue) {
        long records = JournalReader.readAll(queue, (index, record) -> {
            try {
                track(record, index);
            } catch (RuntimeException e) {
                // A damaged record counts as dead; the store logs it when it reads the journal.
            }
        });
        compaction.recordsLoaded(records);
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
