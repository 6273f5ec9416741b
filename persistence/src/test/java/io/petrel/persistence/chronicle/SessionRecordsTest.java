package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;
import io.petrel.api.store.StoredSubscription;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionRecordsTest {

    @Test
    void subscriptionOptionsRoundTrip() {
        StoredSubscription subscription = new StoredSubscription("$share/g/a/#", Qos.EXACTLY_ONCE, true, true,
                RetainHandling.SEND_IF_NEW_SUBSCRIPTION, 268_435_455);
        Map<String, SessionRecords.Replayed> sessions = new LinkedHashMap<>();

        SessionRecords.apply(SessionRecords.session("c", 10, 20), sessions);
        SessionRecords.apply(SessionRecords.subscribed("c", subscription), sessions);

        assertEquals(List.of(subscription), sessions.get("c").toStoredSession().subscriptions());
        assertEquals(10, sessions.get("c").toStoredSession().expiryIntervalSeconds());
        assertEquals(20, sessions.get("c").toStoredSession().storedEpochMillis());
    }

    @Test
    void unknownVersionRejected() {
        byte[] record = new RecordWriter().writeByte(SessionRecords.FORMAT_VERSION + 1)
                .writeByte(SessionRecords.TYPE_ENDED).writeString("c").toByteArray();

        RecordReader.CorruptRecordException failure = assertThrows(RecordReader.CorruptRecordException.class,
                () -> SessionRecords.apply(record, new LinkedHashMap<>()));
        assertTrue(failure.getMessage().contains("unknown format version"), failure.getMessage());
    }

    @Test
    void unknownTypeRejected() {
        byte[] record = new RecordWriter().writeByte(SessionRecords.FORMAT_VERSION).writeByte(99).writeString("c")
                .toByteArray();

        RecordReader.CorruptRecordException failure = assertThrows(RecordReader.CorruptRecordException.class,
                () -> SessionRecords.apply(record, new LinkedHashMap<>()));
        assertTrue(failure.getMessage().contains("unknown session record type"), failure.getMessage());
    }

    @Test
    void releaseOfUnsentMessageRejected() {
        Map<String, SessionRecords.Replayed> sessions = new LinkedHashMap<>();
        SessionRecords.apply(SessionRecords.session("c", 10, 20), sessions);
        SessionRecords.apply(SessionRecords.messageQueued("c", 1,
                Message.builder("t").payload("p").qos(Qos.EXACTLY_ONCE).build(), 1), sessions);

        RecordReader.CorruptRecordException failure = assertThrows(RecordReader.CorruptRecordException.class,
                () -> SessionRecords.apply(SessionRecords.messageReleased("c", 1), sessions));
        assertTrue(failure.getMessage().contains("only a sent QoS 2 message"), failure.getMessage());
    }

    @Test
    void zeroPacketIdRejected() {
        Map<String, SessionRecords.Replayed> sessions = new LinkedHashMap<>();
        SessionRecords.apply(SessionRecords.session("c", 10, 20), sessions);

        RecordReader.CorruptRecordException failure = assertThrows(RecordReader.CorruptRecordException.class,
                () -> SessionRecords.apply(SessionRecords.inboundReceived("c", 0), sessions));
        assertTrue(failure.getMessage().contains("invalid packet identifier 0"), failure.getMessage());
    }

    @Test
    void changedByteRejected() {
        byte[] record = SessionRecords.session("client", 60, 1_000);
        record[3] ^= 0x01;

        assertThrows(RecordReader.CorruptRecordException.class,
                () -> SessionRecords.apply(record, new LinkedHashMap<>()));
    }
}
