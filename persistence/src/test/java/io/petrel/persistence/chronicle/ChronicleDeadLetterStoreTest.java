package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterPage;
import io.petrel.api.DeadLetterQuery;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.store.StoreOptions;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.queue.RollCycles;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChronicleDeadLetterStoreTest {

    private static final Instant FIRST = Instant.parse("2026-01-02T03:04:05.123456789Z");

    @TempDir
    Path dataDirectory;

    @Test
    void reopenKeepsEveryField() {
        DeadLetter letter = new DeadLetter("id-1", "orders/#",
                Message.builder("orders/1").payload("body").qos(Qos.AT_LEAST_ONCE).userProperty("k", "v")
                        .subscriptionIdentifiers(List.of(7)).build(),
                DeadLetter.Reason.ATTEMPTS_EXHAUSTED, 3, FIRST, FIRST.plusSeconds(2), "java.lang.IllegalStateException",
                "bad order");
        try (ChronicleDeadLetterStore store = open()) {
            await(store, letter);
        }

        try (ChronicleDeadLetterStore store = open()) {
            DeadLetter read = store.get("id-1").orElseThrow();

            assertEquals("orders/#", read.subscriptionFilter());
            assertEquals("orders/1", read.message().topic());
            assertEquals("body", read.message().payloadAsString());
            assertEquals(Qos.AT_LEAST_ONCE, read.message().qos());
            assertEquals("v", read.message().userProperties().get(0).value());
            assertEquals(List.of(7), read.message().subscriptionIdentifiers());
            assertEquals(DeadLetter.Reason.ATTEMPTS_EXHAUSTED, read.reason());
            assertEquals(3, read.attempts());
            assertEquals(FIRST, read.firstFailure());
            assertEquals(FIRST.plusSeconds(2), read.lastFailure());
            assertEquals("java.lang.IllegalStateException", read.exceptionClass());
            assertEquals("bad order", read.exceptionMessage());
        }
    }

    @Test
    void removedLettersStayRemovedAfterReopen() {
        try (ChronicleDeadLetterStore store = open()) {
            for (int i = 0; i < 6; i++) {
                await(store, letter("id-" + i, i % 2 == 0 ? "even/" + i : "odd/" + i));
            }

            assertTrue(store.remove("id-1"), "remove of a stored letter");
            assertFalse(store.remove("id-1"), "second remove of the same letter");
            assertEquals(3, store.purge(DeadLetterQuery.builder().topicFilter("even/#").build()));
        }

        try (ChronicleDeadLetterStore store = open()) {
            assertEquals(2, store.count(DeadLetterQuery.all()));
            assertEquals(List.of("id-3", "id-5"), ids(store.list(DeadLetterQuery.all(), null, 10)));
        }
    }

    @Test
    void purgeLargerThanWriterQueueRemovesEveryLetter() {
        int count = 4 * JournalWriter.QUEUE_CAPACITY;
        try (ChronicleDeadLetterStore store = open()) {
            List<CompletableFuture<Void>> appends = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                appends.add(store.append(letter("id-" + i, "bulk/" + i)).toCompletableFuture());
                if (appends.size() == 1_024) {
                    appends.forEach(append -> append.orTimeout(10, TimeUnit.SECONDS).join());
                    appends.clear();
                }
            }
            appends.forEach(append -> append.orTimeout(10, TimeUnit.SECONDS).join());
            await(store, letter("kept", "other"));

            assertEquals(count, store.purge(DeadLetterQuery.builder().topicFilter("bulk/#").build()));
        }

        try (ChronicleDeadLetterStore store = open()) {
            assertEquals(List.of("kept"), ids(store.list(DeadLetterQuery.all(), null, 10)));
        }
    }

    @Test
    void listPagesThroughMatchingLetters() {
        try (ChronicleDeadLetterStore store = open()) {
            for (int i = 0; i < 7; i++) {
                await(store, letter("id-" + i, (i < 5 ? "a/" : "b/") + i));
            }
            DeadLetterQuery query = DeadLetterQuery.builder().topicFilter("a/+").build();
            List<String> seen = new ArrayList<>();

            DeadLetterPage first = store.list(query, null, 2);
            seen.addAll(ids(first));
            DeadLetterPage second = store.list(query, first.nextCursor().orElseThrow(), 2);
            seen.addAll(ids(second));
            DeadLetterPage third = store.list(query, second.nextCursor().orElseThrow(), 2);
            seen.addAll(ids(third));

            assertEquals(List.of("id-0", "id-1", "id-2", "id-3", "id-4"), seen);
            assertTrue(third.nextCursor().isEmpty(), "no cursor after the last page");
            assertEquals(5, store.count(query));
            assertThrows(IllegalArgumentException.class, () -> store.list(query, "not-a-cursor", 2));
        }
    }

    @Test
    void duplicateIdRejected() {
        try (ChronicleDeadLetterStore store = open()) {
            await(store, letter("same", "t"));

            CompletionException failure = assertThrows(CompletionException.class,
                    () -> store.append(letter("same", "t")).toCompletableFuture().join());

            assertTrue(failure.getCause() instanceof IllegalArgumentException, failure.toString());
            assertEquals(1, store.count(DeadLetterQuery.all()));
        }
    }

    @Test
    void secondOpenOnSameDirectoryFails() {
        try (ChronicleDeadLetterStore first = open()) {
            UncheckedIOException failure = assertThrows(UncheckedIOException.class, this::open);

            assertTrue(first.toString().contains(dataDirectory.toString()), first.toString());
            assertTrue(failure.getMessage().contains(dataDirectory.resolve("dead-letters").toAbsolutePath().toString()),
                    failure.getMessage());
        }
    }

    @Test
    void closeStopsEveryStartedThread() {
        Set<String> before = StoreThreads.liveNames();
        ChronicleDeadLetterStore store = open();
        await(store, letter("x", "t"));
        store.list(DeadLetterQuery.all(), null, 5);
        assertTrue(StoreThreads.startedSince(before).contains(ChronicleDeadLetterStore.THREAD_NAME),
                "writer thread running: " + StoreThreads.startedSince(before));

        store.close();

        StoreThreads.awaitOnly(before);
    }

    @Test
    void maxAgeDropsOldLettersAtOpen() {
        try (ChronicleDeadLetterStore store = open()) {
            await(store, letterFailedAt("old-1", FIRST));
            await(store, letterFailedAt("old-2", FIRST.plusSeconds(60)));
            await(store, letterFailedAt("new", FIRST.plusSeconds(7_200)));
        }
        Clock clock = Clock.fixed(FIRST.plusSeconds(7_200 + 1_800), ZoneOffset.UTC);
        DeadLetterRetention retention = DeadLetterRetention.keepForever().withMaxAge(Duration.ofHours(1));

        try (ChronicleDeadLetterStore store = open(retention, 10_000, clock)) {
            assertEquals(List.of("new"), ids(store.list(DeadLetterQuery.all(), null, 10)));
            assertEquals(2, store.droppedCount());
        }
        try (ChronicleDeadLetterStore store = open()) {
            assertEquals(List.of("new"), ids(store.list(DeadLetterQuery.all(), null, 10)), "dropped after reopen");
        }
    }

    @Test
    void maxAgeDropsLettersWhileRunning() {
        MutableClock clock = new MutableClock(FIRST);
        DeadLetterRetention retention = DeadLetterRetention.keepForever().withMaxAge(Duration.ofMinutes(10));
        try (ChronicleDeadLetterStore store = open(retention, 10_000, clock)) {
            await(store, letterFailedAt("early", FIRST));
            await(store, letterFailedAt("late", FIRST.plusSeconds(300)));

            clock.set(FIRST.plusSeconds(601));

            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.count(DeadLetterQuery.all()) == 1);
            assertEquals(List.of("late"), ids(store.list(DeadLetterQuery.all(), null, 10)));
            assertEquals(1, store.droppedCount());
        }
        try (ChronicleDeadLetterStore store = open()) {
            assertEquals(List.of("late"), ids(store.list(DeadLetterQuery.all(), null, 10)), "dropped after reopen");
        }
    }

    @Test
    void maxBytesDropsOldestLetters() {
        int recordBytes = DeadLetterRecords.letter(letter("id-0", "size/0")).length;
        DeadLetterRetention retention = DeadLetterRetention.keepForever().withMaxBytes(3L * recordBytes);
        try (ChronicleDeadLetterStore store = open(retention, 10_000, Clock.systemUTC())) {
            for (int i = 0; i < 5; i++) {
                await(store, letter("id-" + i, "size/" + i));
            }

            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.count(DeadLetterQuery.all()) == 3);
            assertEquals(List.of("id-2", "id-3", "id-4"), ids(store.list(DeadLetterQuery.all(), null, 10)));
            assertEquals(2, store.droppedCount());
        }
        try (ChronicleDeadLetterStore store = open()) {
            assertEquals(List.of("id-2", "id-3", "id-4"), ids(store.list(DeadLetterQuery.all(), null, 10)),
                    "dropped after reopen");
        }
    }

    @Test
    void compactionKeepsStoredLetters() {
        List<String> expected = new ArrayList<>();
        try (ChronicleDeadLetterStore store = open(DeadLetterRetention.keepForever(), 100, Clock.systemUTC())) {
            for (int i = 0; i < 150; i++) {
                await(store, letter("id-" + i, i % 10 == 0 ? "keep/" + i : "drop/" + i));
            }
            assertEquals(135, store.purge(DeadLetterQuery.builder().topicFilter("drop/#").build()));
            DeadLetterPage first = store.list(DeadLetterQuery.all(), null, 5);
            awaitGeneration(store, 2);
            await(store, letter("after", "keep/after"));

            DeadLetterPage second = store.list(DeadLetterQuery.all(), first.nextCursor().orElseThrow(), 100);
            for (int i = 0; i < 150; i += 10) {
                expected.add("id-" + i);
            }
            expected.add("after");
            List<String> paged = new ArrayList<>(ids(first));
            paged.addAll(ids(second));
            assertEquals(expected, paged, "pages across the switch");
            assertEquals("p-id-140", store.get("id-140").orElseThrow().message().payloadAsString());
        }

        try (ChronicleDeadLetterStore store = open()) {
            assertEquals(expected, ids(store.list(DeadLetterQuery.all(), null, 100)));
            assertEquals("p-after", store.get("after").orElseThrow().message().payloadAsString());
        }
        assertFalse(Files.exists(dataDirectory.resolve("dead-letters").resolve("journal-000001")),
                "old generation deleted");
    }

    @Test
    void appendsDuringCompactionSurvive() {
        Set<String> expected = new TreeSet<>();
        try (ChronicleDeadLetterStore store = open(DeadLetterRetention.keepForever(), 500, Clock.systemUTC())) {
            for (int batch = 0; batch < 20; batch++) {
                List<CompletableFuture<Void>> writes = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    String id = "b" + batch + "-" + i;
                    writes.add(store.append(letter(id, "load/" + i)).toCompletableFuture());
                    expected.add(id);
                }
                writes.forEach(write -> write.orTimeout(10, TimeUnit.SECONDS).join());
                for (int i = 0; i < 90; i++) {
                    String id = "b" + batch + "-" + i;
                    assertTrue(store.remove(id), "remove " + id);
                    expected.remove(id);
                }
            }
            assertTrue(store.generation() >= 2, "compacted at least once, generation " + store.generation());
            assertEquals(expected, new TreeSet<>(ids(store.list(DeadLetterQuery.all(), null, 1_000))));
        }

        try (ChronicleDeadLetterStore store = open()) {
            assertEquals(expected, new TreeSet<>(ids(store.list(DeadLetterQuery.all(), null, 1_000))));
        }
    }

    @Test
    void closeStopsCompactionThread() {
        Set<String> before = StoreThreads.liveNames();
        ChronicleDeadLetterStore store = open(DeadLetterRetention.keepForever(), 100, Clock.systemUTC());
        for (int i = 0; i < 120; i++) {
            await(store, letter("id-" + i, "t"));
        }
        store.purge(DeadLetterQuery.all());
        awaitGeneration(store, 2);

        store.close();

        StoreThreads.awaitOnly(before);
    }

    private ChronicleDeadLetterStore open() {
        return ChronicleDeadLetterStore.open(dataDirectory, RollCycles.FAST_DAILY);
    }

    private ChronicleDeadLetterStore open(DeadLetterRetention retention, int compactionMinRecords, Clock clock) {
        return ChronicleDeadLetterStore.open(dataDirectory, new ChronicleDeadLetterStore.Options(RollCycles.FAST_DAILY,
                retention, compactionMinRecords, clock, Duration.ofMillis(10), StoreOptions.defaults()));
    }

    private static void awaitGeneration(ChronicleDeadLetterStore store, int generation) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> store.generation() >= generation);
    }

    private static DeadLetter letterFailedAt(String id, Instant lastFailure) {
        return new DeadLetter(id, "#", Message.builder("aged/" + id).payload("p-" + id).build(),
                DeadLetter.Reason.UNPROCESSABLE, 1, lastFailure, lastFailure, "java.lang.RuntimeException", "failed");
    }

    private static DeadLetter letter(String id, String topic) {
        return new DeadLetter(id, "#", Message.builder(topic).payload("p-" + id).build(),
                DeadLetter.Reason.UNPROCESSABLE, 1, FIRST, FIRST, "java.lang.RuntimeException", "failed");
    }

    private static void await(ChronicleDeadLetterStore store, DeadLetter letter) {
        store.append(letter).toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** A clock that tests move forward by hand. */
    private static final class MutableClock extends Clock {

        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("fixed to UTC");
        }
    }

    private static List<String> ids(DeadLetterPage page) {
        return page.letters().stream().map(DeadLetter::id).toList();
    }
}
