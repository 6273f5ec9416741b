package io.petrel.persistence.chronicle;

import io.petrel.api.Message;
import io.petrel.api.store.RetainedStore;
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
 * <p>Threads: {@link #set} and {@link #clear} are thread-safe and only enqueue the record. The daemon thread
 * {@value #THREAD_NAME} appends the records and completes their stages once each record is in the
 * journal's memory-mapped file. {@link #forEach} reads on the calling thread.
 *
 * <p>NOTE: the journal is not compacted, so it keeps every record ever written and start-up reads all
 * of them. Chronicle rolls to a new file per cycle (daily by default); deleting old files by hand
 * would lose the messages set in them.
 */
public final class ChronicleRetainedStore implements RetainedStore {

    /** Name of the writer thread. */
    public static final String THREAD_NAME = "petrel-retained-store";

    /** Name of the store's directory under the data directory. */
    public static final String DIRECTORY = "retained";

    static final int FORMAT_VERSION = 1;
    static final int TYPE_SET = 1;
    static final int TYPE_CLEAR = 2;

    private static final Logger LOG = LoggerFactory.getLogger(ChronicleRetainedStore.class);

    private final Path directory;
    private final DirectoryLock lock;
    private final ChronicleQueue queue;
    private final JournalWriter writer;

    private ChronicleRetainedStore(Path directory, DirectoryLock lock, ChronicleQueue queue) {
        this.directory = directory;
        this.lock = lock;
        this.queue = queue;
        this.writer = new JournalWriter(queue, THREAD_NAME);
    }

    /**
     * Opens the store under {@code dataDirectory}, creating it if needed, with the roll cycle that
     * {@link RollCycleSetting} selects.
     *
     * @throws java.io.UncheckedIOException if another broker uses the directory or it cannot be created
     */
    public static ChronicleRetainedStore open(Path dataDirectory) {
        ChronicleSettings.apply();
        return open(dataDirectory, RollCycleSetting.rollCycle());
    }

    static ChronicleRetainedStore open(Path dataDirectory, RollCycle rollCycle) {
        ChronicleSettings.apply();
        Path directory = dataDirectory.resolve(DIRECTORY).toAbsolutePath();
        DirectoryLock lock = DirectoryLock.acquire(directory);
        try {
            ChronicleQueue queue = ChronicleQueue.singleBuilder(directory).rollCycle(rollCycle).build();
            return new ChronicleRetainedStore(directory, lock, queue);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** Reads the whole journal on the calling thread and visits the message of each retained topic. */
    @Override
    public void forEach(Consumer<StoredRetainedMessage> visitor) {
        Map<String, StoredRetainedMessage> live = new LinkedHashMap<>();
        long[] skipped = new long[1];
        long records = JournalReader.readAll(queue, (index, record) -> {
            try {
                apply(record, live);
            } catch (RuntimeException e) {
                skipped[0]++;
                LOG.warn("Skipped the retained record at index {} of {}: {}", Long.toHexString(index), directory,
                        e.toString());
            }
        });
        LOG.debug("Read {} records of {}: {} retained topics, {} records skipped", records, directory,
                live.size(), skipped[0]);
        live.values().forEach(visitor);
    }

    private static void apply(byte[] record, Map<String, StoredRetainedMessage> live) {
        RecordReader reader = new RecordReader(record);
        int version = reader.readByte();
        if (version != FORMAT_VERSION) {
            throw new RecordReader.CorruptRecordException("unknown format version " + version + ", expected "
                    + FORMAT_VERSION);
        }
        int type = reader.readByte();
        if (type == TYPE_SET) {
            long arrivalEpochMillis = reader.readLong();
            Message message = reader.readMessage();
            live.remove(message.topic());
            live.put(message.topic(), new StoredRetainedMessage(message, arrivalEpochMillis));
        } else if (type == TYPE_CLEAR) {
            live.remove(reader.readString());
        } else {
            throw new RecordReader.CorruptRecordException("unknown record type " + type);
        }
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
        return writer.append(record).thenApply(index -> null);
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
        return "ChronicleRetainedStore{" + directory + '}';
    }
}
