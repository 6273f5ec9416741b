package io.petrel.persistence.chronicle;

import io.petrel.api.BrokerException;
import io.petrel.api.Message;
import io.petrel.api.Qos;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Persistent sessions in an append-only Chronicle journal under {@code <data directory>/sessions}: a
 * record when a session is stored or its expiry interval changes, when it ends, when one of its
 * subscriptions is added or removed, when one of its messages is queued, sent, released or removed,
 * and when an incoming QoS 2 packet identifier is received or released. {@link #load} replays the
 * journal from the start. The record formats are described in {@code docs/persistence.md}.
 *
 * <p>When more than half of at least {@value #DEFAULT_COMPACTION_MIN_RECORDS} records are dead (see
 * {@link SessionLiveRecords}), {@link JournalCompaction} copies the live records into the next
 * journal generation on the thread {@value #COMPACTION_THREAD_NAME} while appends go on, and the
 * writer switches to it. A journal written before generations existed, with its Chronicle files
 * directly in {@code sessions/}, is opened as generation 0.
 *
 * <p>Threads: the write methods are thread-safe and never block. They put the record in a bounded
 * queue, and the daemon thread {@value #THREAD_NAME} appends the records in the order they were put
 * there; a full queue fails the returned stage at once. {@link #load} reads on the writer thread too.
 * So its result includes every record handed over before the call, and compaction cannot switch the
 * journal during the read.
 */
public final class ChronicleSessionStore implements SessionStore, StoreWriteStatistics {

    /** Name of the writer thread. */
    public static final String THREAD_NAME = "petrel-session-store";

    /** Name of the thread that copies the live records when the journal is compacted. */
    public static final String COMPACTION_THREAD_NAME = "petrel-session-compaction";

    /** Name of the store's directory under the data directory. */
    public static final String DIRECTORY = "sessions";

    /** Minimum number of journal records before compaction may run. */
    static final int DEFAULT_COMPACTION_MIN_RECORDS = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(ChronicleSessionStore.class);

    private final Path directory;
    private final DirectoryLock lock;
    private final JournalWriter writer;
    private final JournalCompaction compaction;

    private ChronicleSessionStore(Path dataDirectory, Path directory, DirectoryLock lock, int generation,
                                  ChronicleQueue queue, RollCycle rollCycle, int compactionMinRecords,
                                  StoreOptions options) {
        this.directory = directory;
        this.lock = lock;
        this.compaction = new JournalCompaction("session", COMPACTION_THREAD_NAME, directory, generation, rollCycle,
                compactionMinRecords, SessionLiveRecords::new, options.sync());
        compaction.load(queue);
        StorageGuard guard = StorageGuard.of(dataDirectory, directory, "session", options);
        this.writer = new JournalWriter(queue, THREAD_NAME, compaction, guard, options.sync());
        compaction.attach(writer);
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
        return open(dataDirectory, RollCycleSetting.rollCycle(), DEFAULT_COMPACTION_MIN_RECORDS, options);
    }

    static ChronicleSessionStore open(Path dataDirectory, RollCycle rollCycle, int compactionMinRecords) {
        return open(dataDirectory, rollCycle, compactionMinRecords, StoreOptions.defaults());
    }

    static ChronicleSessionStore open(Path dataDirectory, RollCycle rollCycle, int compactionMinRecords,
                                      StoreOptions options) {
        return LockedJournal.openGenerations(dataDirectory, DIRECTORY, rollCycle, options.sync(),
                (directory, lock, generation, queue) -> new ChronicleSessionStore(dataDirectory, directory, lock,
                        generation, queue, rollCycle, compactionMinRecords, options));
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

    /** Fails the stage with {@link IllegalArgumentException} for a QoS 0 message, which is never stored. */
    @Override
    public CompletionStage<Void> messageQueued(String clientId, long messageId, Message message,
                                               long arrivalEpochMillis) {
        if (message.qos() == Qos.AT_MOST_ONCE) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("invalid QoS 0 message " + messageId
                    + " of client " + clientId + ": only QoS 1 and 2 messages are stored"));
        }
        return write(SessionRecords.messageQueued(clientId, messageId, message, arrivalEpochMillis), clientId);
    }

    /** Fails the stage with {@link IllegalArgumentException} for a packet identifier outside 1 to 65535. */
    @Override
    public CompletionStage<Void> messageSent(String clientId, long messageId, int packetId) {
        if (!validPacketId(packetId)) {
            return invalidPacketId(clientId, packetId);
        }
        return write(SessionRecords.messageSent(clientId, messageId, packetId), clientId);
    }

    @Override
    public CompletionStage<Void> messageReleased(String clientId, long messageId) {
        return write(SessionRecords.messageReleased(clientId, messageId), clientId);
    }

    @Override
    public CompletionStage<Void> messageRemoved(String clientId, long messageId) {
        return write(writer.appendRemoval(SessionRecords.messageRemoved(clientId, messageId)), clientId);
    }

    /** Fails the stage with {@link IllegalArgumentException} for a packet identifier outside 1 to 65535. */
    @Override
    public CompletionStage<Void> inboundQos2Received(String clientId, int packetId) {
        if (!validPacketId(packetId)) {
            return invalidPacketId(clientId, packetId);
        }
        return write(SessionRecords.inboundReceived(clientId, packetId), clientId);
    }

    /** Fails the stage with {@link IllegalArgumentException} for a packet identifier outside 1 to 65535. */
    @Override
    public CompletionStage<Void> inboundQos2Released(String clientId, int packetId) {
        if (!validPacketId(packetId)) {
            return invalidPacketId(clientId, packetId);
        }
        return write(writer.appendRemoval(SessionRecords.inboundReleased(clientId, packetId)), clientId);
    }

    private static boolean validPacketId(int packetId) {
        return packetId >= 1 && packetId <= SessionRecords.MAX_PACKET_ID;
    }

    private static CompletionStage<Void> invalidPacketId(String clientId, int packetId) {
        return CompletableFuture.failedFuture(new IllegalArgumentException("invalid packet identifier " + packetId
                + " of client " + clientId + ": expected 1 to " + SessionRecords.MAX_PACKET_ID));
    }

    /**
     * Reads the whole journal on the writer thread, so that compaction cannot switch the journal
     * meanwhile, and waits for the result. Appends wait until the read is done. A record that cannot be
     * decoded is skipped with a WARN.
     *
     * @throws BrokerException if the store is closed or the read fails
     */
    @Override
    public List<StoredSession> load() {
        CompletableFuture<List<StoredSession>> result = new CompletableFuture<>();
        try {
            writer.submit(() -> {
                try {
                    result.complete(readJournal());
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            }, () -> result.completeExceptionally(new BrokerException("the session journal " + directory
                    + " is closed")));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException("interrupted while reading the session journal " + directory, e);
        }
        try {
            return result.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof BrokerException closed) {
                throw closed;
            }
            throw new BrokerException("failed to read the session journal " + directory, e.getCause());
        }
    }

    /** Replays the journal. Writer thread only. */
    private List<StoredSession> readJournal() {
        Map<String, SessionRecords.Replayed> sessions = new LinkedHashMap<>();
        long[] skipped = new long[1];
        ChronicleQueue queue = writer.queue();
        long records = JournalReader.readAll(queue, (index, record) -> {
            try {
                SessionRecords.apply(record, sessions);
            } catch (RuntimeException e) {
                skipped[0]++;
                LOG.warn("Skipped the session record at index {} of {}: {}", Long.toHexString(index), queue.file(),
                        e.toString());
            }
        });
        List<StoredSession> stored = new ArrayList<>(sessions.size());
        for (SessionRecords.Replayed session : sessions.values()) {
            stored.add(session.toStoredSession());
        }
        LOG.info("Read the session journal {}: {} records, {} sessions stored, {} records skipped", queue.file(),
                records, stored.size(), skipped[0]);
        return stored;
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
        return "ChronicleSessionStore{" + directory + '}';
    }
}
