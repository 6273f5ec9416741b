package io.petrel.persistence.chronicle;

import io.petrel.api.Message;
import io.petrel.api.store.RetainedStore;
import io.petrel.api.store.StoreOptions;
import io.petrel.api.store.StoreWriteStatistics;
import io.petrel.api.store.StoredRetainedMessage;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.RollCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * the journal's memory-mapped file. {@link #forEach} reads on the calling thread and must not run
 * while the store compacts, which it does not before the first append.
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
        compaction.load(queue);
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

    /** Reads the whole journal on the calling thread and visits the message of each retained topic. */
    @Override
    public void forEach(Consumer<StoredRetainedMessage> visitor) {
        ChronicleQueue queue = writer.queue();
        Map<String, StoredRetainedMessage> live = new LinkedHashMap<>();
        long[] skipped = new long[1];
        long records = JournalReader.readAll(queue, (index, record) -> {
            try {
                apply(record, live);
            } catch (RuntimeException e) {
                skipped[0]++;
                LOG.warn("Skipped the retained record at index {} of {}: {}", Long.toHexString(index), queue.file(),
                        e.toString());
            }
        });
        LOG.debug("Read {} records of {}: {} retained topics, {} records skipped", records, queue.file(),
                live.size(), skipped[0]);
        live.values().forEach(visitor);
    }

    private static void apply(byte[] record, Map<String, StoredRetainedMessage> live) {
        RecordReader reader = new RecordReader(record);
        int type = readHeader(reader);
        if (type == TYPE_SET) {
            long arrivalEpochMillis = reader.readLong();
            Message message = reader.readMessage();
            live.remove(message.topic());
            live.put(message.topic(), new StoredRetainedMessage(message, arrivalEpochMillis));
        } else {
            live.remove(reader.readString());
        }
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
