package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.openhft.chronicle.queue.RollCycles;
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
        long dataEnd = lastNonZeroByte(lastFile) + 1;
        try (RandomAccessFile file = new RandomAccessFile(lastFile.toFile(), "rw")) {
            file.setLength(dataEnd - 5);
        }

        try (ChronicleRetainedStore store = open()) {
            Map<String, StoredRetainedMessage> stored = readAllFrom(store);
            assertTrue(stored.size() >= 98 && stored.size() <= 100, "messages read: " + stored.size());
            assertEquals("payload-0", stored.get("t/0").message().payloadAsString());

            await(store.set(retained("after", "cut"), 1));
        }
        assertEquals("cut", readAll().get("after").message().payloadAsString());
    }

    @Test
    void closeStopsEveryStartedThread() {
        Set<String> before = StoreThreads.liveNames();
        ChronicleRetainedStore store = open();
        await(store.set(retained("x", "y"), 1));
        readAllFrom(store);
        assertTrue(StoreThreads.startedSince(before).contains(ChronicleRetainedStore.THREAD_NAME),
                "writer thread running: " + StoreThreads.startedSince(before));

        store.close();

        StoreThreads.awaitOnly(before);
    }

    @Test
    void setAfterCloseFails() {
        ChronicleRetainedStore store = open();
        store.close();

        CompletableFuture<Void> write = store.set(retained("late", "x"), 1).toCompletableFuture();

        assertTrue(write.isCompletedExceptionally(), "write after close failed");
    }

    private ChronicleRetainedStore open() {
        return ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY);
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
        try (Stream<Path> listing = Files.list(dataDirectory.resolve("retained"))) {
            listing.filter(path -> path.getFileName().toString().endsWith(".cq4")).sorted().forEach(files::add);
        }
        assertTrue(!files.isEmpty(), "no .cq4 file in " + dataDirectory.resolve("retained"));
        return files.get(files.size() - 1);
    }

    private static long lastNonZeroByte(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] != 0) {
                return i;
            }
        }
        throw new AssertionError("only zero bytes in " + file);
    }
}
