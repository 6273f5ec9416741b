package io.petrel.persistence.chronicle;

import static io.petrel.persistence.chronicle.SessionMessageStoreTest.await;
import static io.petrel.persistence.chronicle.SessionMessageStoreTest.byClientId;
import static io.petrel.persistence.chronicle.SessionMessageStoreTest.journalFiles;
import static io.petrel.persistence.chronicle.SessionMessageStoreTest.message;
import static io.petrel.persistence.chronicle.SessionMessageStoreTest.subscription;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.Qos;
import io.petrel.api.store.StoredSession;
import io.petrel.api.store.StoredSessionMessage;
import io.petrel.api.store.StoredSubscription;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compaction of the session journal, and journals written before it was kept in generations. */
class SessionCompactionTest {

    private static final String FLAT_FIXTURE = "/fixtures/sessions-v1-flat.zip";

    @TempDir
    Path dataDirectory;

    @Test
    void compactionShrinksJournalAndKeepsLiveState() throws IOException {
        Path sessions = dataDirectory.resolve(ChronicleSessionStore.DIRECTORY);
        SessionModel model = new SessionModel();
        // Compaction off: queued and removed messages over several one-second journal files.
        try (ChronicleSessionStore store = open(TestRollCycles.TEST_SECONDLY, Integer.MAX_VALUE)) {
            model.startSessions(store, 20);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (journalFiles(sessions.resolve("journal-000001")).size() < 5 && System.nanoTime() < deadline) {
                model.churn(store, 500);
            }
        }
        int filesBefore = journalFiles(sessions.resolve("journal-000001")).size();
        assertTrue(filesBefore >= 5, "journal files before compaction: " + filesBefore);

        try (ChronicleSessionStore store = open(TestRollCycles.TEST_SECONDLY, 1_000)) {
            // Appends go on while the live records are copied.
            model.churn(store, 200);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
                model.churn(store, 50);
                return store.generation() >= 2;
            });
            model.churn(store, 100);
        }

        assertFalse(Files.exists(sessions.resolve("journal-000001")), "old generation deleted");
        int filesAfter = journalFiles(currentGeneration(sessions)).size();
        assertTrue(filesAfter < filesBefore, "journal files after compaction: " + filesAfter + ", before: "
                + filesBefore);
        model.assertMatches(readAll(RollCycles.FAST_DAILY));
    }

    @Test
    void concurrentAppendsSurviveRepeatedCompaction() {
        SessionModel model = new SessionModel();
        try (ChronicleSessionStore store = open(RollCycles.FAST_DAILY, 500)) {
            model.startSessions(store, 10);
            for (int round = 0; round < 40; round++) {
                model.churn(store, 250);
            }
            assertTrue(store.generation() >= 3, "compacted at least twice, generation " + store.generation());
            model.assertMatches(byClientId(store.load()));
        }

        model.assertMatches(readAll(RollCycles.FAST_DAILY));
    }

    @Test
    void flatJournalLoads() throws IOException {
        unpackFlatFixture();

        Map<String, StoredSession> sessions = readAll(RollCycles.FAST_DAILY);

        assertEquals(Set.of("sensor-1", "forever"), sessions.keySet());
        StoredSession sensor = sessions.get("sensor-1");
        assertEquals(3600, sensor.expiryIntervalSeconds());
        assertEquals(1_700_000_000_000L, sensor.storedEpochMillis());
        assertEquals(List.of("cmd/sensor-1/#", "$share/g/alerts/+"),
                sensor.subscriptions().stream().map(StoredSubscription::filter).toList());
        StoredSubscription shared = sensor.subscriptions().get(1);
        assertEquals(Qos.EXACTLY_ONCE, shared.qos());
        assertTrue(shared.noLocal(), "No Local");
        assertEquals(42, shared.subscriptionId());
        assertEquals(0xFFFF_FFFFL, sessions.get("forever").expiryIntervalSeconds());
    }

    @Test
    void flatJournalAppendsAndCompactsIntoGenerationOne() throws IOException {
        Path sessions = unpackFlatFixture();

        try (ChronicleSessionStore store = open(RollCycles.FAST_DAILY, 50)) {
            assertEquals(0, store.generation(), "generation of the flat journal");
            await(store.messageQueued("forever", 1, message("kept", Qos.AT_LEAST_ONCE), 1));
            for (long id = 2; id < 60; id++) {
                await(store.messageQueued("forever", id, message("dropped", Qos.AT_LEAST_ONCE), 1));
                await(store.messageRemoved("forever", id));
            }
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> store.generation() >= 1);
        }

        assertEquals(List.of(), journalFiles(sessions), "Chronicle files left in " + sessions);
        Map<String, StoredSession> loaded = readAll(RollCycles.FAST_DAILY);
        assertEquals(Set.of("sensor-1", "forever"), loaded.keySet());
        assertEquals(2, loaded.get("sensor-1").subscriptions().size(), "subscriptions after compaction");
        assertEquals(List.of(1L), SessionMessageStoreTest.messageIds(loaded.get("forever")));
    }

    @Test
    void flatFilesDeletedOnceGenerationComplete() throws IOException {
        Path sessions = unpackFlatFixture();
        // As after a crash between marking generation 1 complete and deleting the flat files.
        JournalGenerations.markComplete(sessions.resolve("journal-000001"));

        try (ChronicleSessionStore store = open(RollCycles.FAST_DAILY, 1_000)) {
            assertEquals(1, store.generation(), "generation");
            assertEquals(List.of(), store.load(), "sessions of the empty generation 1");
        }

        assertEquals(List.of(), journalFiles(sessions), "Chronicle files left in " + sessions);
        assertTrue(Files.exists(sessions.resolve("lock")), "lock file kept");
    }

    @Test
    void closeDuringCompactionStopsEveryThread() {
        Set<String> before = StoreThreads.liveNames();
        ChronicleSessionStore store = open(RollCycles.FAST_DAILY, 100);
        SessionModel model = new SessionModel();
        model.startSessions(store, 5);
        model.churn(store, 400);
        assertTrue(StoreThreads.startedSince(before).contains(ChronicleSessionStore.THREAD_NAME),
                "writer thread running: " + StoreThreads.startedSince(before));

        store.close();

        StoreThreads.awaitOnly(before);
    }

    private ChronicleSessionStore open(RollCycle rollCycle, int compactionMinRecords) {
        return ChronicleSessionStore.open(dataDirectory, rollCycle, compactionMinRecords);
    }

    private Map<String, StoredSession> readAll(RollCycle rollCycle) {
        try (ChronicleSessionStore store = open(rollCycle, ChronicleSessionStore.DEFAULT_COMPACTION_MIN_RECORDS)) {
            return byClientId(store.load());
        }
    }

    /** Unpacks a journal written with Chronicle files directly in {@code sessions/}, and returns that directory. */
    private Path unpackFlatFixture() throws IOException {
        Path sessions = Files.createDirectories(dataDirectory.resolve(ChronicleSessionStore.DIRECTORY));
        try (InputStream resource = getClass().getResourceAsStream(FLAT_FIXTURE)) {
            assertNotNull(resource, FLAT_FIXTURE);
            try (ZipInputStream zip = new ZipInputStream(resource)) {
                for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
                    Files.copy(zip, sessions.resolve(entry.getName()));
                }
            }
        }
        return sessions;
    }

    private static Path currentGeneration(Path sessions) throws IOException {
        try (Stream<Path> listing = Files.list(sessions)) {
            List<Path> generations = listing.filter(path -> path.getFileName().toString().startsWith("journal-"))
                    .toList();
            assertEquals(1, generations.size(), "generations: " + generations);
            return generations.get(0);
        }
    }

    /**
     * The state the test expects the store to load: sessions, subscriptions, messages with their
     * packet identifiers, and incoming QoS 2 packet identifiers. {@link #churn} writes records of
     * every type without waiting for each, and leaves most messages removed.
     */
    private static final class SessionModel {
        private final Map<String, Map<Long, String>> messages = new TreeMap<>();
        private final Map<String, Map<Long, Integer>> packetIds = new TreeMap<>();
        private final Map<String, Set<Long>> released = new TreeMap<>();
        private final Map<String, Set<Integer>> inbound = new TreeMap<>();
        private final Map<String, List<String>> filters = new TreeMap<>();
        private long nextMessageId = 1;
        private int step;

        void startSessions(ChronicleSessionStore store, int count) {
            for (int i = 0; i < count; i++) {
                String clientId = "client-" + i;
                await(store.sessionStored(clientId, 3600, i));
                await(store.subscriptionAdded(clientId, subscription("a/" + i)));
                await(store.subscriptionAdded(clientId, subscription("b/" + i)));
                await(store.subscriptionRemoved(clientId, "b/" + i));
                messages.put(clientId, new TreeMap<>());
                packetIds.put(clientId, new TreeMap<>());
                released.put(clientId, new TreeSet<>());
                inbound.put(clientId, new LinkedHashSet<>());
                filters.put(clientId, List.of("a/" + i));
            }
        }

        void churn(ChronicleSessionStore store, int operations) {
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            List<String> clients = new ArrayList<>(messages.keySet());
            for (int i = 0; i < operations; i++) {
                String clientId = clients.get(step % clients.size());
                long id = nextMessageId++;
                boolean kept = step % 7 == 0;
                Qos qos = step % 2 == 0 ? Qos.EXACTLY_ONCE : Qos.AT_LEAST_ONCE;
                String topic = "t/" + id;
                int packetId = (int) (id % 65_535) + 1;
                writes.add(store.messageQueued(clientId, id, message(topic, qos), id).toCompletableFuture());
                writes.add(store.messageSent(clientId, id, packetId).toCompletableFuture());
                if (kept) {
                    messages.get(clientId).put(id, topic);
                    packetIds.get(clientId).put(id, packetId);
                    if (qos == Qos.EXACTLY_ONCE) {
                        writes.add(store.messageReleased(clientId, id).toCompletableFuture());
                        released.get(clientId).add(id);
                    }
                } else {
                    writes.add(store.messageRemoved(clientId, id).toCompletableFuture());
                }
                // Packet identifiers repeat after 65535 messages, as they do on a connection.
                writes.add(store.inboundQos2Received(clientId, packetId).toCompletableFuture());
                inbound.get(clientId).add(packetId);
                if (!kept) {
                    writes.add(store.inboundQos2Released(clientId, packetId).toCompletableFuture());
                    inbound.get(clientId).remove(packetId);
                }
                step++;
            }
            writes.forEach(SessionMessageStoreTest::await);
        }

        void assertMatches(Map<String, StoredSession> loaded) {
            assertEquals(messages.keySet(), loaded.keySet(), "sessions");
            for (String clientId : messages.keySet()) {
                StoredSession session = loaded.get(clientId);
                assertEquals(filters.get(clientId),
                        session.subscriptions().stream().map(StoredSubscription::filter).toList(),
                        "subscriptions of " + clientId);
                Map<Long, String> topics = new TreeMap<>();
                Map<Long, Integer> sentWith = new TreeMap<>();
                Set<Long> releasedIds = new TreeSet<>();
                for (StoredSessionMessage message : session.messages()) {
                    topics.put(message.messageId(), message.message().topic());
                    sentWith.put(message.messageId(), message.packetId());
                    if (message.released()) {
                        releasedIds.add(message.messageId());
                    }
                }
                assertEquals(messages.get(clientId), topics, "messages of " + clientId);
                assertEquals(packetIds.get(clientId), sentWith, "packet ids of " + clientId);
                assertEquals(released.get(clientId), releasedIds, "released messages of " + clientId);
                assertEquals(List.copyOf(inbound.get(clientId)), session.inboundQos2PacketIds(),
                        "inbound ids of " + clientId);
            }
        }
    }
}
