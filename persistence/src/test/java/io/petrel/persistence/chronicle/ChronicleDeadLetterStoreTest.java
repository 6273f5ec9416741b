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
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.queue.RollCycles;
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

    private ChronicleDeadLetterStore open() {
        return ChronicleDeadLetterStore.open(dataDirectory, RollCycles.FAST_DAILY);
    }

    private static DeadLetter letter(String id, String topic) {
        return new DeadLetter(id, "#", Message.builder(topic).payload("p-" + id).build(),
                DeadLetter.Reason.UNPROCESSABLE, 1, FIRST, FIRST, "java.lang.RuntimeException", "failed");
    }

    private static void await(ChronicleDeadLetterStore store, DeadLetter letter) {
        store.append(letter).toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }

    private static List<String> ids(DeadLetterPage page) {
        return page.letters().stream().map(DeadLetter::id).toList();
    }
}
