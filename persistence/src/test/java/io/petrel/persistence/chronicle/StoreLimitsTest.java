package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.store.StoreOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.queue.RollCycles;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreLimitsTest {

    private static final long MAX_DATA_BYTES = 512 * 1024;
    private static final int RECORD_PAYLOAD_BYTES = 2_048;
    private static final int MAX_RECORDS = 2_000;
    private static final int COMPACTION_MIN_RECORDS = 100;

    @TempDir
    Path dataDirectory;

    @Test
    void retainedAboveCapIsRejectedWithReason() {
        StoreOptions options = StoreOptions.builder().maxDataBytes(MAX_DATA_BYTES).minFreeBytes(0).build();
        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY,
                COMPACTION_MIN_RECORDS, options)) {
            int written = fillUntilRejectedCount(store, "topic/");
            Throwable rejection = failureOf(store.set(retained("one/more"), 1));

            assertTrue(written >= MAX_DATA_BYTES / RECORD_PAYLOAD_BYTES / 2, "records written: " + written);
            assertTrue(written <= MAX_DATA_BYTES / RECORD_PAYLOAD_BYTES, "records written: " + written);
            String message = String.valueOf(rejection);
            assertTrue(message.contains("persistence.max_size"), message);
            assertTrue(message.contains(dataDirectory.toAbsolutePath().normalize().toString()), message);
            assertTrue(store.rejectedWrites() >= 1, "rejected writes counted");
        }
    }

    @Test
    void retainedWritesResumeAfterCompactionShrinksData() {
        StoreOptions options = StoreOptions.builder().maxDataBytes(MAX_DATA_BYTES).minFreeBytes(0).build();
        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY,
                COMPACTION_MIN_RECORDS, options)) {
            int written = fillUntilRejectedCount(store, "topic/");
            for (int i = 0; i < written; i++) {
                await(store.clear("topic/" + i));
            }

            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> succeeds(store.set(retained("after/compaction"), 1)));

            assertTrue(store.generation() > 1, "compaction replaced the journal");
        }
    }

    @Test
    void clearsUnderCapCompactSmallJournal() {
        StoreOptions options = StoreOptions.builder().maxDataBytes(MAX_DATA_BYTES).minFreeBytes(0).build();
        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY,
                ChronicleRetainedStore.DEFAULT_COMPACTION_MIN_RECORDS, options)) {
            int written = fillUntilRejectedCount(store, "topic/");
            for (int i = 0; i < written; i++) {
                await(store.clear("topic/" + i));
            }

            // Far fewer records than the usual minimum: the rejection by the cap starts compaction.
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> succeeds(store.set(retained("after/compaction"), 1)));

            assertTrue(2 * written < ChronicleRetainedStore.DEFAULT_COMPACTION_MIN_RECORDS, "records: " + written);
            assertTrue(store.generation() > 1, "compaction replaced the journal");
        }
    }

    @Test
    void higherCapAcceptsWritesAfterReopen() {
        StoreOptions small = StoreOptions.builder().maxDataBytes(MAX_DATA_BYTES).minFreeBytes(0).build();
        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY,
                ChronicleRetainedStore.DEFAULT_COMPACTION_MIN_RECORDS, small)) {
            fillUntilRejected(store, "topic/");
        }

        StoreOptions larger = small.toBuilder().maxDataBytes(4 * MAX_DATA_BYTES).build();
        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY,
                ChronicleRetainedStore.DEFAULT_COMPACTION_MIN_RECORDS, larger)) {
            await(store.set(retained("after/reopen"), 1));

            assertEquals(0, store.rejectedWrites());
        }
    }

    @Test
    void capCountsEveryStoreOfDataDirectory() {
        StoreOptions options = StoreOptions.builder().maxDataBytes(MAX_DATA_BYTES).minFreeBytes(0).build();
        try (ChronicleRetainedStore retained = ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY,
                ChronicleRetainedStore.DEFAULT_COMPACTION_MIN_RECORDS, options);
             ChronicleSessionStore sessions = ChronicleSessionStore.open(dataDirectory, RollCycles.FAST_DAILY,
                     ChronicleSessionStore.DEFAULT_COMPACTION_MIN_RECORDS, options)) {
            fillUntilRejected(retained, "topic/");

            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> !succeeds(sessions.sessionStored("client", 60, 1)));

            assertTrue(sessions.rejectedWrites() >= 1, "session writes rejected");
        }
    }

    @Test
    void clearAboveCapIsWritten() {
        StoreOptions options = StoreOptions.builder().maxDataBytes(MAX_DATA_BYTES).minFreeBytes(0).build();
        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY,
                ChronicleRetainedStore.DEFAULT_COMPACTION_MIN_RECORDS, options)) {
            fillUntilRejected(store, "topic/");

            assertTrue(succeeds(store.clear("topic/0")), "clear record written above the cap");
        }
    }

    @Test
    void syncBatchWritesRecords() {
        StoreOptions options = StoreOptions.builder().sync(StoreOptions.Sync.BATCH).build();
        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY,
                ChronicleRetainedStore.DEFAULT_COMPACTION_MIN_RECORDS, options)) {
            await(store.set(retained("synced"), 1));
        }

        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory)) {
            int[] count = new int[1];
            store.forEach(message -> count[0]++);

            assertEquals(1, count[0]);
        }
    }

    @Test
    void syncBatchCompactionKeepsLiveRecords() {
        StoreOptions options = StoreOptions.builder().sync(StoreOptions.Sync.BATCH).build();
        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY,
                COMPACTION_MIN_RECORDS, options)) {
            for (int i = 0; i < 3 * COMPACTION_MIN_RECORDS; i++) {
                await(store.set(retained("topic/" + (i % 10)), i));
            }

            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.generation() > 1);
        }

        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory)) {
            int[] count = new int[1];
            store.forEach(message -> count[0]++);

            assertEquals(10, count[0]);
        }
    }

    /** Writes distinct topics until a write fails, and returns that failure. */
    static Throwable fillUntilRejected(ChronicleRetainedStore store, String prefix) {
        for (int i = 0; i < MAX_RECORDS; i++) {
            Throwable failure = failureOf(store.set(retained(prefix + i), i));
            if (failure != null) {
                return failure;
            }
        }
        throw new AssertionError("no write was rejected after " + MAX_RECORDS + " records");
    }

    private static int fillUntilRejectedCount(ChronicleRetainedStore store, String prefix) {
        for (int i = 0; i < MAX_RECORDS; i++) {
            if (failureOf(store.set(retained(prefix + i), i)) != null) {
                return i;
            }
        }
        throw new AssertionError("no write was rejected after " + MAX_RECORDS + " records");
    }

    static Message retained(String topic) {
        return Message.builder(topic).payload(new byte[RECORD_PAYLOAD_BYTES]).qos(Qos.AT_LEAST_ONCE).retain(true)
                .build();
    }

    static boolean succeeds(CompletionStage<?> stage) {
        return failureOf(stage) == null;
    }

    private static Throwable failureOf(CompletionStage<?> stage) {
        try {
            stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("the write did not complete", e);
        }
    }

    private static void await(CompletionStage<?> stage) {
        CompletableFuture<?> future = stage.toCompletableFuture();
        try {
            future.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }
}
