package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.BrokerException;
import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;
import io.petrel.api.store.StoredSession;
import io.petrel.api.store.StoredSubscription;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.openhft.chronicle.queue.RollCycles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChronicleSessionStoreTest {

    private static final long WRITE_TIMEOUT_SECONDS = 10;

    @TempDir
    Path dataDirectory;

    @Test
    void reopenRestoresSessionsAndSubscriptions() {
        StoredSubscription shared = new StoredSubscription("$share/g/s/+", Qos.AT_LEAST_ONCE, false, true,
                RetainHandling.DO_NOT_SEND, 7);
        try (ChronicleSessionStore store = open()) {
            await(store.sessionStored("a", 60, 1_000));
            await(store.subscriptionAdded("a", subscription("a/1", Qos.AT_MOST_ONCE)));
            await(store.subscriptionAdded("a", shared));
            await(store.subscriptionAdded("a", subscription("a/2", Qos.EXACTLY_ONCE)));
            await(store.subscriptionRemoved("a", "a/2"));
            await(store.sessionStored("b", 0xFFFF_FFFFL, 2_000));
            await(store.sessionStored("a", 120, 3_000));
        }

        Map<String, StoredSession> sessions = readAll();

        assertEquals(Set.of("a", "b"), sessions.keySet());
        StoredSession a = sessions.get("a");
        assertEquals(120, a.expiryIntervalSeconds());
        assertEquals(3_000, a.storedEpochMillis());
        assertEquals(List.of(subscription("a/1", Qos.AT_MOST_ONCE), shared), a.subscriptions());
        assertEquals(0xFFFF_FFFFL, sessions.get("b").expiryIntervalSeconds());
        assertEquals(List.of(), sessions.get("b").subscriptions());
    }

    @Test
    void endedSessionIsNotLoaded() {
        try (ChronicleSessionStore store = open()) {
            await(store.sessionStored("gone", 60, 1_000));
            await(store.subscriptionAdded("gone", subscription("x", Qos.AT_LEAST_ONCE)));
            await(store.sessionEnded("gone"));
            await(store.sessionStored("again", 60, 1_000));
            await(store.sessionEnded("again"));
            await(store.sessionStored("again", 30, 2_000));
        }

        Map<String, StoredSession> sessions = readAll();

        assertFalse(sessions.containsKey("gone"), "ended session loaded");
        assertEquals(List.of(), sessions.get("again").subscriptions(), "subscriptions of the ended session");
        assertEquals(30, sessions.get("again").expiryIntervalSeconds());
    }

    @Test
    void subscriptionWithoutSessionIsIgnored() {
        try (ChronicleSessionStore store = open()) {
            await(store.subscriptionAdded("orphan", subscription("x", Qos.AT_LEAST_ONCE)));
        }

        assertEquals(Set.of(), readAll().keySet());
    }

    @Test
    void secondOpenOnSameDirectoryFails() {
        try (ChronicleSessionStore first = open()) {
            UncheckedIOException failure = assertThrows(UncheckedIOException.class, this::open);

            assertTrue(failure.getMessage().contains("in use by another broker"), failure.getMessage());
        }
    }

    @Test
    void truncatedTailDoesNotStopOpen() throws IOException {
        try (ChronicleSessionStore store = open()) {
            for (int i = 0; i < 100; i++) {
                await(store.sessionStored("client-" + i, 60, i));
            }
        }
        Path lastFile = lastJournalFile();
        long lastRecord = lastIndexOf(Files.readAllBytes(lastFile), "client-99".getBytes(StandardCharsets.UTF_8));
        try (RandomAccessFile file = new RandomAccessFile(lastFile.toFile(), "rw")) {
            // Cuts the file in the middle of the client identifier of the last record.
            file.setLength(lastRecord + 4);
        }

        try (ChronicleSessionStore store = open()) {
            Map<String, StoredSession> sessions = byClientId(store.load());
            assertEquals(99, sessions.size(), "sessions before the cut record");
            assertFalse(sessions.containsKey("client-99"), "cut record skipped");

            await(store.sessionStored("after", 60, 1));
        }
        assertTrue(readAll().containsKey("after"), "record written after the cut");
    }

    @Test
    void closeStopsWriterThread() {
        Set<String> before = StoreThreads.liveNames();
        ChronicleSessionStore store = open();
        await(store.sessionStored("a", 60, 1));
        assertTrue(StoreThreads.startedSince(before).contains(ChronicleSessionStore.THREAD_NAME),
                "writer thread running: " + StoreThreads.startedSince(before));

        store.close();

        StoreThreads.awaitOnly(before);
    }

    @Test
    void loadAfterCloseFails() {
        ChronicleSessionStore store = open();
        store.close();

        BrokerException failure = assertThrows(BrokerException.class, store::load);

        assertTrue(failure.getMessage().contains("is closed"), failure.getMessage());
    }

    @Test
    void writeAfterCloseFails() {
        ChronicleSessionStore store = open();
        store.close();

        CompletionStage<Void> write = store.sessionStored("a", 60, 1);

        assertTrue(write.toCompletableFuture().isCompletedExceptionally(), "write after close completed");
    }

    private ChronicleSessionStore open() {
        return ChronicleSessionStore.open(dataDirectory, RollCycles.FAST_DAILY,
                ChronicleSessionStore.DEFAULT_COMPACTION_MIN_RECORDS);
    }

    private Map<String, StoredSession> readAll() {
        try (ChronicleSessionStore store = open()) {
            return byClientId(store.load());
        }
    }

    private static Map<String, StoredSession> byClientId(List<StoredSession> sessions) {
        return sessions.stream().collect(Collectors.toMap(StoredSession::clientId, Function.identity()));
    }

    private static StoredSubscription subscription(String filter, Qos qos) {
        return new StoredSubscription(filter, qos, false, false, RetainHandling.SEND_ON_SUBSCRIBE, 0);
    }

    private static void await(CompletionStage<Void> write) {
        write.toCompletableFuture().orTimeout(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS).join();
    }

    private Path lastJournalFile() throws IOException {
        List<Path> files = new ArrayList<>();
        Path journal = dataDirectory.resolve(ChronicleSessionStore.DIRECTORY).resolve("journal-000001");
        try (Stream<Path> listing = Files.list(journal)) {
            listing.filter(path -> path.getFileName().toString().endsWith(".cq4")).sorted().forEach(files::add);
        }
        assertFalse(files.isEmpty(), "no .cq4 file in " + journal);
        return files.get(files.size() - 1);
    }

    private static long lastIndexOf(byte[] bytes, byte[] pattern) {
        for (int i = bytes.length - pattern.length; i >= 0; i--) {
            if (Arrays.equals(bytes, i, i + pattern.length, pattern, 0, pattern.length)) {
                return i;
            }
        }
        throw new AssertionError("pattern not found");
    }
}
