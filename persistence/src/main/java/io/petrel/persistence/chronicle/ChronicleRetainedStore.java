package io.petrel.persistence.chronicle;

import io.petrel.api.Message;
import io.petrel.api.store.RetainedStore;
import io.petrel.api.store.StoreOptions;
import io.petrel.api.store.StoreWriteStatistics;
import io.petrel.api.store.StoredRetainedMessage;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Retained messages in an append-only Chronicle queue of set and clear records, under
 * {@code <data directory>/retained}. The last record of a topic decides its state, so reading the
 * journal from the start rebuilds the retained messages. The record format is described in
 * {@code docs/persistence.md}.
 *
 * <p>When more than half of at least {@value #DEFAULT_COMPACTION_MIN_RECORDS} records are replaced or
 * cleared ones, {@link JournalCompaction} copies the live records into the next journal generation
 * (see {@link JournalGenerations}) on its own thread while appends go on, and the writer switches to
 * it.
 *
 * <p>Threads: {@link #set} and {@link #clear} are thread-safe and only enqueue the record. The daemon
 * thread {@value #THREAD_NAME} appends the records and completes their stages once each record is in
 * the journal's memory-mapped file. {@link #forEach} takes the live records' indices from the writer
 * thread, then reads on the calling thread, and must not run while the store compacts, which it does
 * not before the first append.
 */
public final class ChronicleRetainedStore implements RetainedStore, StoreWriteStatistics {

    /** Name of the writer thread. */
    public static final String THREAD_NAME = "petrel-retained-store";

    /** Name of the thread that copies the live records when the journal is compacted. */
    public static final String COMPACTION_THREAD_NAME = "petrel-retained-compaction";

    /** Name of the store's directory under the data directory. */
    public static final String DIRECTORY = "retained";

    /** Journal records from which on compaction may run. */
    static final int DEFAULT_COMPACTION_MIN_RECORDS = 10_000;

    static final int FORMAT_VERSION = 1;
    static final int TYPE_SET = 1;
    static final int TYPE_CLEAR = 2;

    private static final Logger LOG = LoggerFactory.getLogger(ChronicleRetainedStore.class);

    private final Path directory;
    private final DirectoryLock lock;
    private final JournalWriter writer;
    private final JournalCompaction compaction;

    private ChronicleRetainedStore(Path dataDirectory, Path directory, DirectoryLock lock, int generation,
                                   ChronicleQueue queue, RollCycle rollCycle, int compactionMinRecords,
                                   StoreOptions options) {
        this.directory = directory;
        this.lock = lock;
        this.compaction = new JournalCompaction("retained", COMPACTION_THREAD_NAME, directory, generation, rollCycle,
                compactionMinRecords, RetainedLiveRecords::new, options.sync());
        load(queue);
        StorageGuard guard = StorageGuard.of(dataDirectory, directory, "retained", options);
        this.writer = new JournalWriter(queue, THREAD_NAME, compaction, guard, options.sync());
        compaction.attach(writer);
    }

    /**
     * Opens the store under {@code dataDirectory}, creating it if needed, with the roll cycle that
     * {@link RollCycleSetting} selects.
     *
     * @throws java.io.UncheckedIOException if another broker uses the directory or it cannot be created
     */
    public static ChronicleRetainedStore open(Path dataDirectory) {
        return open(dataDirectory, StoreOptions.defaults());
    }

    /**
     * Opens the store under {@code dataDirectory} with {@code options}, creating it if needed, with the
     * roll cycle that {@link RollCycleSetting} selects.
     *
     * @throws java.io.UncheckedIOException if another broker uses the directory or it cannot be created
     */
    public static ChronicleRetainedStore open(Path dataDirectory, StoreOptions options) {
        ChronicleSettings.apply();
        return open(dataDirectory, RollCycleSetting.rollCycle(), DEFAULT_COMPACTION_MIN_RECORDS, options);
    }

    static ChronicleRetainedStore open(Path dataDirectory, RollCycle rollCycle, int compactionMinRecords) {
        return open(dataDirectory, rollCycle, compactionMinRecords, StoreOptions.defaults());
    }

    static ChronicleRetainedStore open(Path dataDirectory, RollCycle rollCycle, int compactionMinRecords,
                                       StoreOptions options) {
        return LockedJournal.openGenerations(dataDirectory, DIRECTORY, rollCycle, options.sync(),
                (directory, lock, generation, queue) -> new ChronicleRetainedStore(dataDirectory, directory, lock,
                        generation, queue, rollCycle, compactionMinRecords, options));
    }

    /**
     * Reads the journal to find its live records, and logs each record that cannot be decoded at
     * WARN: it counts as dead, and {@link #forEach} skips it.
     */
    private void load(ChronicleQueue queue) {
        if (queue instanceof SingleChronicleQueue single) {
            compaction.reserve(single.entryCount());
        }
        long[] skipped = new long[1];
        long records = JournalReader.readAll(queue, (index, record) -> {
            if (!compaction.loaded(index, record)) {
                skipped[0]++;
                LOG.warn("Skipped the damaged retained record at index {} of {}", Long.toHexString(index),
                        queue.file());
            }
        });
        LOG.info("Opened the retained journal {}: {} records, {} records skipped", queue.file(), records, skipped[0]);
    }

    /**
     * Reads the journal on the calling thread and visits the message of each retained topic, in the
     * order their set records were appended. Only the live records, which the writer thread tracks,
     * are decoded. Replaced and cleared ones are skipped by their journal index.
     *
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public void forEach(Consumer<StoredRetainedMessage> visitor) {
        JournalCompaction.LiveSnapshot live;
        try {
            live = compaction.liveSnapshot();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the retained journal " + directory, e);
        }
        long[] indices = live.indices();
        int[] next = new int[1];
        JournalReader.readAll(live.queue(), (index, record) -> {
            while (next[0] < indices.length && indices[next[0]] < index) {
                next[0]++;
            }
            if (next[0] == indices.length || indices[next[0]] != index) {
                return;
            }
            next[0]++;
            visitor.accept(decodeSet(record));
        });
    }

    /** Decodes a set record, which the open already read without error. */
    private static StoredRetainedMessage decodeSet(byte[] record) {
        RecordReader reader = new RecordReader(record);
        readHeader(reader);
        long arrivalEpochMillis = reader.readLong();
        return new StoredRetainedMessage(reader.readMessage(), arrivalEpochMillis);
    }

    /**
     * Reads the version and type bytes of a record and returns the type.
     *
     * @throws RecordReader.CorruptRecordException if the version or type is unknown
     */
    static int readHeader(RecordReader reader) {
        int version = reader.readByte();
        if (version != FORMAT_VERSION) {
            throw new RecordReader.CorruptRecordException("unknown format version " + version + ", expected "
                    + FORMAT_VERSION);
        }
        int type = reader.readByte();
        if (type != TYPE_SET && type != TYPE_CLEAR) {
            throw new RecordReader.CorruptRecordException("unknown record type " + type);
        }
        return type;
    }

    /** Returns the topic of a set or clear record without decoding the rest of the message. */
    static String topicOf(byte[] record) {
        RecordReader reader = new RecordReader(record);
        if (readHeader(reader) == TYPE_SET) {
            reader.readLong();
        }
        return reader.readString();
    }

    /** Returns true if the record clears its topic. */
    static boolean isClear(byte[] record) {
        return record.length > 1 && record[1] == TYPE_CLEAR;
    }

    @Override
    public CompletionStage<Void> set(Message message, long arrivalEpochMillis) {
        byte[] record = new RecordWriter().writeByte(FORMAT_VERSION).writeByte(TYPE_SET)
                .writeLong(arrivalEpochMillis).writeMessage(message).toByteArray();
        return writer.append(record).thenApply(index -> null);
    }

    @Override
    public CompletionStage<Void> clear(String topic) {
        byte[] record = new RecordWriter().writeByte(FORMAT_VERSION).writeByte(TYPE_CLEAR).writeString(topic)
                .toByteArray();
        return writer.appendRemoval(record).thenApply(index -> null);
    }

    @Override
    public long rejectedWrites() {
        return writer.rejectedWrites();
    }

    /** Returns the number of the journal generation in use, which compaction increments. */
    int generation() {
        return compaction.generation();
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
        return "ChronicleRetainedStore{" + directory + '}';
    }
}
