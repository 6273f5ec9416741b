package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;
import io.petrel.api.UserProperty;
import io.petrel.api.store.StoredSession;
import io.petrel.api.store.StoredSessionMessage;
import io.petrel.api.store.StoredSubscription;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.openhft.chronicle.queue.RollCycles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Queued and in-flight messages and incoming QoS 2 packet identifiers in the session journal. */
class SessionMessageStoreTest {

    private static final long WRITE_TIMEOUT_SECONDS = 10;

    @TempDir
    Path dataDirectory;

    @Test
    void everyMessageRecordSurvivesReopen() {
        Message full = Message.builder("plant/7/alarm").payload("overheat").qos(Qos.EXACTLY_ONCE).retain(true)
                .payloadUtf8(true).contentType("text/plain").responseTopic("plant/7/ack")
                .correlationData(new byte[] {1, 2, 3}).messageExpiryIntervalSeconds(600)
                .userProperty("site", "north").subscriptionIdentifiers(List.of(4, 9)).build();
        try (ChronicleSessionStore store = open()) {
            await(store.sessionStored("c", 60, 1_000));
            await(store.messageQueued("c", 1, message("a", Qos.AT_LEAST_ONCE), 11));
            await(store.messageQueued("c", 2, full, 12));
            await(store.messageQueued("c", 3, message("c", Qos.EXACTLY_ONCE), 13));
            await(store.messageSent("c", 1, 101));
            await(store.messageSent("c", 2, 102));
            await(store.messageReleased("c", 2));
            await(store.inboundQos2Received("c", 7));
            await(store.inboundQos2Received("c", 8));
            await(store.inboundQos2Received("c", 9));
            await(store.inboundQos2Released("c", 8));
        }

        StoredSession session = readAll().get("c");

        List<StoredSessionMessage> messages = session.messages();
        assertEquals(List.of(1L, 2L, 3L), messageIds(session));
        assertEquals(101, messages.get(0).packetId(), "packet id of the sent QoS 1 message");
        assertFalse(messages.get(0).released(), "QoS 1 message released");
        assertEquals(102, messages.get(1).packetId(), "packet id of the released message");
        assertTrue(messages.get(1).released(), "QoS 2 message released");
        assertEquals(0, messages.get(2).packetId(), "packet id of the unsent message");
        assertEquals(List.of(11L, 12L, 13L),
                messages.stream().map(StoredSessionMessage::arrivalEpochMillis).toList());
        assertEquals(List.of(7, 9), session.inboundQos2PacketIds());

        Message stored = messages.get(1).message();
        assertEquals("plant/7/alarm", stored.topic());
        assertEquals("overheat", stored.payloadAsString());
        assertEquals(Qos.EXACTLY_ONCE, stored.qos());
        assertTrue(stored.retain(), "retain flag");
        assertEquals("text/plain", stored.contentType().orElseThrow());
        assertEquals("plant/7/ack", stored.responseTopic().orElseThrow());
        assertEquals(OptionalLong.of(600), stored.messageExpiryIntervalSeconds());
        assertEquals(List.of(new UserProperty("site", "north")), stored.userProperties());
        assertEquals(List.of(4, 9), stored.subscriptionIdentifiers());
    }

    @Test
    void messagesLoadInMessageIdOrder() {
        try (ChronicleSessionStore store = open()) {
            await(store.sessionStored("a", 60, 1));
            await(store.sessionStored("b", 60, 1));
            for (long id = 1; id <= 50; id++) {
                await(store.messageQueued(id % 2 == 0 ? "a" : "b", id, message("t/" + id, Qos.AT_LEAST_ONCE), id));
            }
            // The broker may record a resent message out of order; the stored order stays by identifier.
            await(store.messageSent("a", 40, 1));
            await(store.messageSent("a", 2, 2));
        }

        Map<String, StoredSession> sessions = readAll();

        assertEquals(Stream.iterate(2L, id -> id <= 50, id -> id + 2).toList(), messageIds(sessions.get("a")));
        assertEquals(Stream.iterate(1L, id -> id <= 49, id -> id + 2).toList(), messageIds(sessions.get("b")));
    }

    @Test
    void removedMessageNotLoaded() {
        try (ChronicleSessionStore store = open()) {
            await(store.sessionStored("c", 60, 1));
            await(store.messageQueued("c", 1, message("a", Qos.AT_LEAST_ONCE), 1));
            await(store.messageQueued("c", 2, message("b", Qos.EXACTLY_ONCE), 1));
            await(store.messageSent("c", 2, 5));
            await(store.messageReleased("c", 2));
            await(store.messageRemoved("c", 2));
            await(store.messageRemoved("c", 99));
        }

        assertEquals(List.of(1L), messageIds(readAll().get("c")));
    }

    @Test
    void endedSessionDropsMessagesAndPacketIds() {
        try (ChronicleSessionStore store = open()) {
            await(store.sessionStored("c", 60, 1));
            await(store.messageQueued("c", 1, message("a", Qos.AT_LEAST_ONCE), 1));
            await(store.inboundQos2Received("c", 3));
            await(store.sessionEnded("c"));
            await(store.sessionStored("c", 60, 2));
        }

        StoredSession session = readAll().get("c");

        assertEquals(List.of(), session.messages(), "messages of the ended session");
        assertEquals(List.of(), session.inboundQos2PacketIds(), "packet ids of the ended session");
    }

    @Test
    void sessionStoredAgainKeepsMessages() {
        try (ChronicleSessionStore store = open()) {
            await(store.sessionStored("c", 60, 1));
            await(store.messageQueued("c", 1, message("a", Qos.AT_LEAST_ONCE), 1));
            await(store.inboundQos2Received("c", 3));
            await(store.sessionStored("c", 120, 2));
        }

        StoredSession session = readAll().get("c");

        assertEquals(List.of(1L), messageIds(session));
        assertEquals(List.of(3), session.inboundQos2PacketIds());
        assertEquals(120, session.expiryIntervalSeconds());
    }

    @Test
    void messageWithoutSessionIgnored() {
        try (ChronicleSessionStore store = open()) {
            await(store.messageQueued("orphan", 1, message("a", Qos.AT_LEAST_ONCE), 1));
            await(store.inboundQos2Received("orphan", 1));
            await(store.sessionStored("orphan", 60, 1));
            await(store.messageSent("orphan", 1, 4));
        }

        StoredSession session = readAll().get("orphan");

        assertEquals(List.of(), session.messages(), "messages written before the session");
        assertEquals(List.of(), session.inboundQos2PacketIds(), "packet ids written before the session");
    }

    @Test
    void invalidWritesFail() {
        try (ChronicleSessionStore store = open()) {
            assertInvalid(store.messageQueued("c", 1, message("a", Qos.AT_MOST_ONCE), 1));
            assertInvalid(store.messageSent("c", 1, 0));
            assertInvalid(store.messageSent("c", 1, 65_536));
            assertInvalid(store.inboundQos2Received("c", 0));
            assertInvalid(store.inboundQos2Released("c", -1));
        }
    }

    @Test
    void truncatedTailKeepsEarlierMessages() throws IOException {
        try (ChronicleSessionStore store = open()) {
            await(store.sessionStored("c", 60, 1));
            for (long id = 1; id <= 100; id++) {
                await(store.messageQueued("c", id, message("t/m-" + id, Qos.AT_LEAST_ONCE), id));
            }
        }
        Path lastFile = journalFiles(dataDirectory.resolve("sessions").resolve("journal-000001")).get(0);
        long lastRecord = lastIndexOf(Files.readAllBytes(lastFile), "t/m-100".getBytes(StandardCharsets.UTF_8));
        try (RandomAccessFile file = new RandomAccessFile(lastFile.toFile(), "rw")) {
            // Cuts the file in the middle of the topic of the last record.
            file.setLength(lastRecord + 3);
        }

        try (ChronicleSessionStore store = open()) {
            StoredSession session = byClientId(store.load()).get("c");

            assertEquals(Stream.iterate(1L, id -> id <= 99, id -> id + 1).toList(), messageIds(session));
            await(store.messageQueued("c", 101, message("after", Qos.AT_LEAST_ONCE), 1));
        }
        assertTrue(messageIds(readAll().get("c")).contains(101L), "message written after the cut");
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

    static Map<String, StoredSession> byClientId(List<StoredSession> sessions) {
        return sessions.stream().collect(Collectors.toMap(StoredSession::clientId, Function.identity()));
    }

    static List<Long> messageIds(StoredSession session) {
        return session.messages().stream().map(StoredSessionMessage::messageId).toList();
    }

    static Message message(String topic, Qos qos) {
        return Message.builder(topic).payload("payload of " + topic).qos(qos).build();
    }

    static StoredSubscription subscription(String filter) {
        return new StoredSubscription(filter, Qos.AT_LEAST_ONCE, false, false, RetainHandling.SEND_ON_SUBSCRIBE, 0);
    }

    static void await(CompletionStage<Void> write) {
        write.toCompletableFuture().orTimeout(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS).join();
    }

    private static void assertInvalid(CompletionStage<Void> write) {
        CompletionException failure = assertThrows(CompletionException.class, () -> await(write));
        assertInstanceOf(IllegalArgumentException.class, failure.getCause());
    }

    static List<Path> journalFiles(Path journal) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> listing = Files.list(journal)) {
            listing.filter(path -> path.getFileName().toString().endsWith(".cq4")).sorted().forEach(files::add);
        }
        return files;
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
