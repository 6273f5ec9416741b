package io.petrel.persistence.chronicle;

import io.petrel.api.BrokerException;
import io.petrel.api.Message;
import io.petrel.api.store.SessionStore;
import io.petrel.api.store.StoreOptions;
import io.petrel.api.store.StoreWriteStatistics;
import io.petrel.api.store.StoredSession;
import io.petrel.api.store.StoredSubscription;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.RollCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Persistent sessions in an append-only Chronicle queue under {@code <data directory>/sessions}: a
 * record when a session is stored or its expiry interval changes, when it ends, and when one of its
 * subscriptions is added or removed. {@link #load} replays the journal from the start.
 *
 * <p>Threads: the write methods are thread-safe and never block. They put the record in a bounded
 * queue, and the daemon thread {@value #THREAD_NAME} appends the records in the order they were put
 * there; a full queue fails the returned stage at once.
 *
 * <p>NOTE: the journal is not compacted, so it keeps every record, also those of ended sessions.
 */
public final class ChronicleSessionStore implements SessionStore, StoreWriteStatistics {

    /** Name of the writer thread. */
    public static final String THREAD_NAME = "petrel-session-store";

    /** Name of the store's directory under the data directory. */
    public static final String DIRECTORY = "sessions";

    private static final Logger LOG = LoggerFactory.getLogger(ChronicleSessionStore.class);

    private final Path directory;
    private final DirectoryLock lock;
    private final ChronicleQueue queue;
    private final JournalWriter writer;

    private ChronicleSessionStore(Path directory, DirectoryLock lock, ChronicleQueue queue, StorageGuard guard,
                                  StoreOptions.Sync sync) {
        this.directory = directory;
        this.lock = lock;
        this.queue = queue;
        this.writer = new JournalWriter(queue, THREAD_NAME, guard, sync);
    }

    /**
     * Opens the store under {@code dataDirectory}, creating it if needed.
     *
     * @throws java.io.UncheckedIOException if another broker uses the directory or it cannot be created
     */
    public static ChronicleSessionStore open(Path dataDirectory) {
        return open(dataDirectory, StoreOptions.defaults());
    }

    /**
     * Opens the store under {@code dataDirectory} with {@code options}, creating it if needed.
     *
     * @throws java.io.UncheckedIOException if another broker uses the directory or it cannot be created
     */
    public static ChronicleSessionStore open(Path dataDirectory, StoreOptions options) {
        ChronicleSettings.apply();
        return open(dataDirectory, RollCycleSetting.rollCycle(), options);
    }

    static ChronicleSessionStore open(Path dataDirectory, RollCycle rollCycle) {
        return open(dataDirectory, rollCycle, StoreOptions.defaults());
    }

    static ChronicleSessionStore open(Path dataDirectory, RollCycle rollCycle, StoreOptions options) {
        return LockedJournal.open(dataDirectory, DIRECTORY, rollCycle, options.sync(),
                (directory, lock, queue) -> new ChronicleSessionStore(directory, lock, queue,
                        StorageGuard.of(dataDirectory, directory, "session", options), options.sync()));
    }

    @Override
    public CompletionStage<Void> sessionStored(String clientId, long expiryIntervalSeconds, long storedEpochMillis) {
        return write(SessionRecords.session(clientId, expiryIntervalSeconds, storedEpochMillis), clientId);
    }

    @Override
    public CompletionStage<Void> sessionEnded(String clientId) {
        return write(writer.appendRemoval(SessionRecords.ended(clientId)), clientId);
    }

    @Override
    public CompletionStage<Void> subscriptionAdded(String clientId, StoredSubscription subscription) {
        return write(SessionRecords.subscribed(clientId, subscription), clientId);
    }

    @Override
    public CompletionStage<Void> subscriptionRemoved(String clientId, String filter) {
        return write(writer.appendRemoval(SessionRecords.unsubscribed(clientId, filter)), clientId);
    }

    private CompletionStage<Void> write(byte[] record, String clientId) {
        return write(writer.append(record), clientId);
    }

    private CompletionStage<Void> write(CompletionStage<Long> written, String clientId) {
        return written.handle((index, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                throw new BrokerException("failed to write a session record of client " + clientId + " to "
                        + directory + ": " + cause.getMessage(), cause);
            }
            return null;
        });
    }

    @Override
    public CompletionStage<Void> messageQueued(String clientId, long messageId, Message message,
                                               long arrivalEpochMillis) {
        throw notYetStored();
    }

    @Override
    public CompletionStage<Void> messageSent(String clientId, long messageId, int packetId) {
        throw notYetStored();
    }

    @Override
    public CompletionStage<Void> messageReleased(String clientId, long messageId) {
        throw notYetStored();
    }

    @Override
    public CompletionStage<Void> messageRemoved(String clientId, long messageId) {
        throw notYetStored();
    }

    @Override
    public CompletionStage<Void> inboundQos2Received(String clientId, int packetId) {
        throw notYetStored();
    }

    @Override
    public CompletionStage<Void> inboundQos2Released(String clientId, int packetId) {
        throw notYetStored();
    }

    private static UnsupportedOperationException notYetStored() {
        return new UnsupportedOperationException("the Chronicle session store does not keep session messages yet");
    }

    /** Reads the whole journal on the calling thread. A record that cannot be decoded is skipped with a WARN. */
    @Override
    public List<StoredSession> load() {
        Map<String, SessionRecords.Replayed> sessions = new LinkedHashMap<>();
        long[] skipped = new long[1];
        long records = JournalReader.readAll(queue, (index, record) -> {
            try {
                SessionRecords.apply(record, sessions);
            } catch (RuntimeException e) {
                skipped[0]++;
                LOG.warn("Skipped the session record at index {} of {}: {}", Long.toHexString(index), directory,
                        e.toString());
            }
        });
        List<StoredSession> stored = new ArrayList<>(sessions.size());
        for (SessionRecords.Replayed session : sessions.values()) {
            stored.add(session.toStoredSession());
        }
        LOG.info("Read the session journal {}: {} records, {} sessions stored, {} records skipped", directory,
                records, stored.size(), skipped[0]);
        return stored;
    }

    @Override
    public long rejectedWrites() {
        return writer.rejectedWrites();
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
        return "ChronicleSessionStore{" + directory + '}';
    }
}
