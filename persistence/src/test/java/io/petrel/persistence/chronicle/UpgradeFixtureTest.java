package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterQuery;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.UserProperty;
import io.petrel.api.store.StoreOptions;
import io.petrel.api.store.StoredRetainedMessage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.openhft.chronicle.queue.RollCycles;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens journals that an earlier version of the stores wrote in record format 1, checked in under
 * {@code src/test/resources/upgrade/format-1} (see the README there), and checks that the current
 * code finds exactly the content that {@link UpgradeFixtureWriter} stored.
 */
class UpgradeFixtureTest {

    @TempDir
    Path dataDirectory;

    @BeforeEach
    void copyFixtures() throws IOException, URISyntaxException {
        URL fixtures = UpgradeFixtureTest.class.getResource("/upgrade/format-1");
        assertNotNull(fixtures, "fixture directory upgrade/format-1 on the test class path");
        Path source = Path.of(fixtures.toURI());
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.toList()) {
                Path target = dataDirectory.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }

    @Test
    void retainedFixtureRestoresEachTopic() {
        Map<String, StoredRetainedMessage> stored = new LinkedHashMap<>();
        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY,
                ChronicleRetainedStore.DEFAULT_COMPACTION_MIN_RECORDS)) {
            store.forEach(message -> stored.put(message.message().topic(), message));
        }

        assertEquals(List.of("plant/1/temperature", "plant/1/status", "plant/3/raw"), List.copyOf(stored.keySet()));

        StoredRetainedMessage temperature = stored.get("plant/1/temperature");
        assertEquals("21.5", temperature.message().payloadAsString());
        assertEquals(Qos.AT_LEAST_ONCE, temperature.message().qos());
        assertTrue(temperature.message().retain(), "retain flag");
        assertEquals(1_764_842_400_000L, temperature.arrivalEpochMillis());

        StoredRetainedMessage status = stored.get("plant/1/status");
        Message statusMessage = status.message();
        assertEquals("running", statusMessage.payloadAsString());
        assertEquals(Qos.EXACTLY_ONCE, statusMessage.qos());
        assertTrue(statusMessage.payloadUtf8(), "payload format indicator");
        assertEquals("text/plain", statusMessage.contentType().orElseThrow());
        assertEquals("plant/1/reply", statusMessage.responseTopic().orElseThrow());
        assertEquals(ByteBuffer.wrap(new byte[] {1, 2, 3}), statusMessage.correlationData().orElseThrow());
        assertEquals(86_400, statusMessage.messageExpiryIntervalSeconds().orElseThrow());
        assertEquals(List.of(new UserProperty("unit", "none")), statusMessage.userProperties());
        assertEquals(1_764_842_403_000L, status.arrivalEpochMillis());

        StoredRetainedMessage raw = stored.get("plant/3/raw");
        assertArrayEquals(new byte[] {0, (byte) 0xFF, 0x7F}, raw.message().payloadBytes());
        assertEquals(Qos.AT_MOST_ONCE, raw.message().qos());
        assertEquals(1_764_842_404_000L, raw.arrivalEpochMillis());
    }

    @Test
    void deadLetterFlatJournalCompactsIntoFirstGeneration() {
        Path deadLetters = dataDirectory.resolve("dead-letters");
        ChronicleDeadLetterStore.Options options = new ChronicleDeadLetterStore.Options(RollCycles.FAST_DAILY,
                DeadLetterRetention.keepForever(), 4, Clock.systemUTC(), Duration.ofSeconds(1),
                StoreOptions.defaults());
        try (ChronicleDeadLetterStore store = ChronicleDeadLetterStore.open(dataDirectory, options)) {
            assertEquals(0, store.generation(), "the flat journal is generation 0");

            store.remove("letter-1");

            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> store.generation() == 1);
            assertEquals("alice", store.get("letter-3").orElseThrow().message().payloadAsString());
        }
        assertTrue(Files.exists(deadLetters.resolve("journal-000001").resolve(JournalGenerations.COMPLETE)),
                "generation 1 marked complete");
        assertFalse(Files.exists(deadLetters.resolve("metadata.cq4t")), "no Chronicle file left in " + deadLetters);

        try (ChronicleDeadLetterStore store = ChronicleDeadLetterStore.open(dataDirectory, RollCycles.FAST_DAILY)) {
            List<String> ids = store.list(DeadLetterQuery.all(), null, 10).letters().stream().map(DeadLetter::id)
                    .toList();
            assertEquals(List.of("letter-3"), ids);
        }
    }

    @Test
    void deadLetterFixtureRestoresStoredLetters() {
        try (ChronicleDeadLetterStore store = ChronicleDeadLetterStore.open(dataDirectory, RollCycles.FAST_DAILY)) {
            List<String> ids = store.list(DeadLetterQuery.all(), null, 10).letters().stream().map(DeadLetter::id)
                    .toList();
            assertEquals(List.of("letter-1", "letter-3"), ids);
            assertEquals(2, store.count(DeadLetterQuery.all()));
            assertFalse(store.get("letter-2").isPresent(), "removed letter stays removed");

            DeadLetter first = store.get("letter-1").orElseThrow();
            assertEquals("orders/#", first.subscriptionFilter());
            assertEquals("orders/1", first.message().topic());
            assertEquals("order one", first.message().payloadAsString());
            assertEquals(Qos.AT_LEAST_ONCE, first.message().qos());
            assertEquals(List.of(new UserProperty("tenant", "a")), first.message().userProperties());
            assertEquals(List.of(4), first.message().subscriptionIdentifiers());
            assertEquals(DeadLetter.Reason.ATTEMPTS_EXHAUSTED, first.reason());
            assertEquals(3, first.attempts());
            assertEquals(UpgradeFixtureWriter.FIRST_FAILURE, first.firstFailure());
            assertEquals(UpgradeFixtureWriter.FIRST_FAILURE.plusSeconds(7), first.lastFailure());
            assertEquals("java.lang.IllegalStateException", first.exceptionClass());
            assertEquals("stock service unavailable", first.exceptionMessage());

            DeadLetter third = store.get("letter-3").orElseThrow();
            assertEquals("audit/+", third.subscriptionFilter());
            assertEquals("alice", third.message().payloadAsString());
            assertEquals(DeadLetter.Reason.CIRCUIT_OPEN, third.reason());
            assertEquals(0, third.attempts());
            assertEquals("io.petrel.api.BrokerException", third.exceptionClass());
            assertEquals("", third.exceptionMessage(), "absent exception message read as empty");
        }
        assertTrue(Files.exists(dataDirectory.resolve("dead-letters").resolve("metadata.cq4t")),
                "the flat journal is read in place");
    }
}
