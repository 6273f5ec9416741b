package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;
import io.petrel.api.store.StoredSession;
import io.petrel.api.store.StoredSessionMessage;
import io.petrel.api.store.StoredSubscription;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SessionLiveRecordsTest {

    private static final int RECORDS = 20_000;

    @ParameterizedTest
    @ValueSource(longs = {42, 7, 1_234, 99_999})
    void copiedRecordsReplayToSameState(long seed) {
        List<byte[]> journal = randomJournal(new Random(seed));
        SessionLiveRecords live = new SessionLiveRecords();
        for (int index = 0; index < journal.size(); index++) {
            live.track(journal.get(index), index);
        }

        long[] order = live.copyOrder();
        List<byte[]> copied = new ArrayList<>();
        for (long index : order) {
            copied.add(journal.get((int) index));
        }

        assertEquals(describe(replay(journal)), describe(replay(copied)));
        assertEquals(live.count(), order.length, "live count");
    }

    @Test
    void copiedRecordsTrackToSameCount() {
        List<byte[]> journal = randomJournal(new Random(7));
        SessionLiveRecords live = new SessionLiveRecords();
        for (int index = 0; index < journal.size(); index++) {
            live.track(journal.get(index), index);
        }
        SessionLiveRecords copy = new SessionLiveRecords();
        int next = 0;
        for (long index : live.copyOrder()) {
            copy.track(journal.get((int) index), next++);
        }

        assertEquals(live.count(), copy.count());
    }

    @Test
    void deadRecordsNotCounted() {
        SessionLiveRecords live = new SessionLiveRecords();
        Message message = Message.builder("t").payload("p").qos(Qos.EXACTLY_ONCE).build();
        List<byte[]> records = List.of(
                SessionRecords.messageQueued("c", 1, message, 1),
                SessionRecords.session("c", 60, 1),
                SessionRecords.session("c", 60, 2),
                SessionRecords.messageQueued("c", 2, message, 1),
                SessionRecords.messageSent("c", 2, 5),
                SessionRecords.messageSent("c", 2, 5),
                SessionRecords.messageReleased("c", 2),
                SessionRecords.messageRemoved("c", 2),
                SessionRecords.inboundReceived("c", 3),
                SessionRecords.inboundReleased("c", 3),
                SessionRecords.subscribed("c", subscription("f")),
                SessionRecords.subscribed("c", subscription("f")));
        for (int index = 0; index < records.size(); index++) {
            live.track(records.get(index), index);
        }

        assertEquals(2, live.count(), "the last session record and the last subscribed record");
    }

    /** Writes records of every type for a few clients, ending and restarting sessions now and then. */
    private static List<byte[]> randomJournal(Random random) {
        List<byte[]> journal = new ArrayList<>();
        long nextMessageId = 1;
        for (int i = 0; i < RECORDS; i++) {
            String clientId = "c" + random.nextInt(6);
            long messageId = Math.max(1, nextMessageId - random.nextInt(20));
            int packetId = 1 + random.nextInt(30);
            int kind = random.nextInt(100);
            if (kind < 2) {
                journal.add(SessionRecords.ended(clientId));
            } else if (kind < 6) {
                journal.add(SessionRecords.session(clientId, 60 + i, i));
            } else if (kind < 10) {
                journal.add(SessionRecords.subscribed(clientId, subscription("f/" + random.nextInt(5))));
            } else if (kind < 12) {
                journal.add(SessionRecords.unsubscribed(clientId, "f/" + random.nextInt(5)));
            } else if (kind < 40) {
                Qos qos = random.nextBoolean() ? Qos.AT_LEAST_ONCE : Qos.EXACTLY_ONCE;
                Message message = Message.builder("t/" + nextMessageId).payload("p").qos(qos).build();
                journal.add(SessionRecords.messageQueued(clientId, nextMessageId++, message, i));
            } else if (kind < 55) {
                journal.add(SessionRecords.messageSent(clientId, messageId, packetId));
            } else if (kind < 60) {
                journal.add(SessionRecords.messageReleased(clientId, messageId));
            } else if (kind < 80) {
                journal.add(SessionRecords.messageRemoved(clientId, messageId));
            } else if (kind < 90) {
                journal.add(SessionRecords.inboundReceived(clientId, packetId));
            } else {
                journal.add(SessionRecords.inboundReleased(clientId, packetId));
            }
        }
        return journal;
    }

    /** Replays like the store's load: a record that is rejected is skipped. */
    private static List<StoredSession> replay(List<byte[]> records) {
        Map<String, SessionRecords.Replayed> sessions = new LinkedHashMap<>();
        for (byte[] record : records) {
            try {
                SessionRecords.apply(record, sessions);
            } catch (RecordReader.CorruptRecordException e) {
                // A released record of an unsent or QoS 1 message, which the random journal writes.
            }
        }
        List<StoredSession> stored = new ArrayList<>();
        sessions.values().forEach(session -> stored.add(session.toStoredSession()));
        stored.sort(Comparator.comparing(StoredSession::clientId));
        return stored;
    }

    private static List<String> describe(List<StoredSession> sessions) {
        List<String> lines = new ArrayList<>();
        for (StoredSession session : sessions) {
            lines.add(session.clientId() + " " + session.expiryIntervalSeconds() + " " + session.storedEpochMillis()
                    + " " + session.subscriptions() + " " + session.inboundQos2PacketIds());
            for (StoredSessionMessage message : session.messages()) {
                lines.add(session.clientId() + " message " + message.messageId() + " " + message.message().topic()
                        + " " + message.message().qos() + " " + message.arrivalEpochMillis() + " " + message.packetId()
                        + " " + message.released());
            }
        }
        return lines;
    }

    private static StoredSubscription subscription(String filter) {
        return new StoredSubscription(filter, Qos.AT_LEAST_ONCE, false, false, RetainHandling.SEND_ON_SUBSCRIBE, 0);
    }
}
