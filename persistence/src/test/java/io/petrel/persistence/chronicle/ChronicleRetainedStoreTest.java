package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.UserProperty;
import io.petrel.api.store.StoredRetainedMessage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.openhft.chronicle.queue.RollCycles;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChronicleRetainedStoreTest {

    private static final long WRITE_TIMEOUT_SECONDS = 10;

    @TempDir
    Path dataDirectory;

    @Test
    void reopenRestoresLastStateOfEachTopic() {
        try (ChronicleRetainedStore store = open()) {
            await(store.set(retained("a", "a1"), 1_000));
            await(store.set(retained("b", "b1"), 2_000));
            await(store.set(retained("a", "a2"), 3_000));
            await(store.clear("b"));
            await(store.set(retained("c", "c1"), 4_000));
        }

        Map<String, StoredRetainedMessage> stored = readAll();

        assertEquals(List.of("a", "c"), List.copyOf(new TreeSet<>(stored.keySet())));
        assertEquals("a2", stored.get("a").message().payloadAsString());
        assertEquals(3_000, stored.get("a").arrivalEpochMillis());
        assertEquals("c1", stored.get("c").message().payloadAsString());
    }

    @Test
    void messagePropertiesSurviveReopen() {
        Message message = Message.builder("props/t").payload(new byte[] {0, 1, 2, (byte) 255}).qos(Qos.EXACTLY_ONCE)
                .retain(true).payloadUtf8(true).contentType("application/octet-stream").responseTopic("reply/t")
                .correlationData(new byte[] {9, 8}).messageExpiryIntervalSeconds(3_600)
                .userProperty("k1", "v1").userProperty("k1", "v2").build();
        try (ChronicleRetainedStore store = open()) {
            await(store.set(message, 42));
        }

        Message read = readAll().get("props/t").message();

        assertArrayEquals(message.payloadBytes(), read.payloadBytes());
        assertEquals(Qos.EXACTLY_ONCE, read.qos());
        assertTrue(read.retain(), "retain flag");
        assertTrue(read.payloadUtf8(), "payload format indicator");
        assertEquals("application/octet-stream", read.contentType().orElseThrow());
        assertEquals("reply/t", read.responseTopic().orElseThrow());
        assertEquals(ByteBuffer.wrap(new byte[] {9, 8}), read.correlationData().orElseThrow());
        assertEquals(3_600, read.messageExpiryIntervalSeconds().orElseThrow());
        assertEquals(List.of(new UserProperty("k1", "v1"), new UserProperty("k1", "v2")), read.userProperties());
    }

    @Test
    void secondOpenOnSameDirectoryFails() {
        try (ChronicleRetainedStore first = open()) {
            UncheckedIOException failure = assertThrows(UncheckedIOException.class, this::open);

            assertTrue(first.toString().contains(dataDirectory.toString()), first.toString());
            assertTrue(failure.getMessage().contains(dataDirectory.resolve("retained").toAbsolutePath().toString()),
                    failure.getMessage());
            assertTrue(failure.getMessage().contains("in use by another broker"), failure.getMessage());
        }
        try (ChronicleRetainedStore reopened = open()) {
            assertEquals(0, readAllFrom(reopened).size());
        }
    }

    @Test
    void truncatedTailDoesNotStopOpen() throws IOException {
        try (ChronicleRetainedStore store = open()) {
            for (int i = 0; i < 100; i++) {
                await(store.set(retained("t/" + i, "payload-" + i), i));
            }
        }
        Path lastFile = lastJournalFile();
        long lastPayload = lastIndexOf(Files.readAllBytes(lastFile), "payload-99".getBytes(StandardCharsets.UTF_8));
        try (RandomAccessFile file = new RandomAccessFile(lastFile.toFile(), "rw")) {
            // Cuts the file in the middle of the payload of the last record.
            file.setLength(lastPayload + 4);
        }

        try (ChronicleRetainedStore store = open()) {
            Map<String, StoredRetainedMessage> stored = readAllFrom(store);
            assertEquals(99, stored.size(), "messages before the cut record");
            assertFalse(stored.containsKey("t/99"), "cut record skipped");
            assertEquals("payload-98", stored.get("t/98").message().payloadAsString());

            await(store.set(retained("after", "cut"), 1));
        }
        assertEquals("cut", readAll().get("after").message().payloadAsString());
    }

    @Test
    void closeStopsEveryStartedThread() {
        Set<String> before = StoreThreads.liveNames();
        ChronicleRetainedStore store = open(100);
        for (int i = 0; i < 300; i++) {
            await(store.set(retained("x", "y" + i), 1));
        }
        awaitGeneration(store, 2);
        readAllFrom(store);
        assertTrue(StoreThreads.startedSince(before).contains(ChronicleRetainedStore.THREAD_NAME),
                "writer thread running: " + StoreThreads.startedSince(before));

        store.close();

        StoreThreads.awaitOnly(before);
    }

    @Test
    void compactionKeepsLastStateOfEachTopic() {
        Map<String, String> expected = new TreeMap<>();
        try (ChronicleRetainedStore store = open(100)) {
            for (int round = 0; round < 30; round++) {
                for (int topic = 0; topic < 10; topic++) {
                    String payload = "r" + round + "-t" + topic;
                    await(store.set(retained("c/" + topic, payload), round));
                    expected.put("c/" + topic, payload);
                }
            }
            await(store.clear("c/3"));
            expected.remove("c/3");
            awaitGeneration(store, 2);
            await(store.set(retained("c/after", "late"), 1));
            expected.put("c/after", "late");
        }

        Map<String, String> stored = new TreeMap<>();
        readAll().forEach((topic, message) -> stored.put(topic, message.message().payloadAsString()));

        assertEquals(expected, stored);
        assertFalse(Files.exists(dataDirectory.resolve("retained").resolve("journal-000001")),
                "old generation deleted");
    }

    @Test
    void writesDuringCompactionSurvive() {
        Map<String, String> expected = new TreeMap<>();
        try (ChronicleRetainedStore store = open(1_000)) {
            for (int batch = 0; batch < 40; batch++) {
                List<CompletableFuture<Void>> writes = new ArrayList<>();
                for (int i = 0; i < 250; i++) {
                    String topic = "w/" + (i % 25);
                    String payload = "b" + batch + "-" + i;
                    writes.add(store.set(retained(topic, payload), batch).toCompletableFuture());
                    expected.put(topic, payload);
                }
                writes.forEach(ChronicleRetainedStoreTest::await);
            }
            // Compaction runs on the store's own thread and may still be running when the last write completes.
            awaitGeneration(store, 2);
        }

        Map<String, String> stored = new TreeMap<>();
        readAll().forEach((topic, message) -> stored.put(topic, message.message().payloadAsString()));

        assertEquals(expected, stored);
    }

    @Test
    void unfinishedGenerationDeletedAtOpen() throws IOException {
        try (ChronicleRetainedStore store = open()) {
            await(store.set(retained("kept", "v"), 1));
        }
        Path unfinished = dataDirectory.resolve("retained").resolve("journal-000002");
        Files.createDirectories(unfinished);
        Files.writeString(unfinished.resolve("partial.cq4"), "not a journal");

        Map<String, StoredRetainedMessage> stored = readAll();

        assertEquals("v", stored.get("kept").message().payloadAsString());
        assertFalse(Files.exists(unfinished), "unfinished generation deleted");
    }

    @Test
    void setAfterCloseFails() {
        ChronicleRetainedStore store = open();
        store.close();

        CompletableFuture<Void> write = store.set(retained("late", "x"), 1).toCompletableFuture();

        assertTrue(write.isCompletedExceptionally(), "write after close failed");
    }

    private ChronicleRetainedStore open() {
        return open(ChronicleRetainedStore.DEFAULT_COMPACTION_MIN_RECORDS);
    }

    private ChronicleRetainedStore open(int compactionMinRecords) {
        return ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY, compactionMinRecords);
    }

    private static void awaitGeneration(ChronicleRetainedStore store, int generation) {
        Awaitility.await().atMost(Duration.ofSeconds(20))
                .until(() -> store.generation() >= generation);
    }

    private Map<String, StoredRetainedMessage> readAll() {
        try (ChronicleRetainedStore store = open()) {
            return readAllFrom(store);
        }
    }

    private static Map<String, StoredRetainedMessage> readAllFrom(ChronicleRetainedStore store) {
        Map<String, StoredRetainedMessage> stored = new LinkedHashMap<>();
        store.forEach(message -> {
            StoredRetainedMessage previous = stored.put(message.message().topic(), message);
            assertEquals(null, previous, "topic visited twice: " + message.message().topic());
        });
        return stored;
    }

    private static Message retained(String topic, String payload) {
        return Message.builder(topic).payload(payload).qos(Qos.AT_LEAST_ONCE).retain(true).build();
    }

    private static void await(CompletionStage<Void> write) {
        write.toCompletableFuture().orTimeout(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS).join();
    }

    private Path lastJournalFile() throws IOException {
        List<Path> files = new ArrayList<>();
        Path journal = dataDirectory.resolve("retained").resolve("journal-000001");
        try (Stream<Path> listing = Files.list(journal)) {
            listing.filter(path -> path.getFileName().toString().endsWith(".cq4")).sorted().forEach(files::add);
        }
        assertTrue(!files.isEmpty(), "no .cq4 file in " + journal);
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
