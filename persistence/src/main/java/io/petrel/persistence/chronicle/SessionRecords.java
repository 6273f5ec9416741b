package io.petrel.persistence.chronicle;

import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;
import io.petrel.api.store.StoredSession;
import io.petrel.api.store.StoredSubscription;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Encodes the records of the session journal and replays them into the stored sessions. Every record
 * starts with the format version byte and a type byte, then the client identifier; the layout is
 * described in {@code docs/persistence.md}.
 */
final class SessionRecords {

    static final int FORMAT_VERSION = 1;
    static final int TYPE_SESSION = 1;
    static final int TYPE_ENDED = 2;
    static final int TYPE_SUBSCRIBED = 3;
    static final int TYPE_UNSUBSCRIBED = 4;

    private static final int FLAG_NO_LOCAL = 1;
    private static final int FLAG_RETAIN_AS_PUBLISHED = 2;

    /** A session while the journal is replayed; its subscriptions keyed by filter, in journal order. */
    static final class Replayed {
        private final String clientId;
        private long expiryIntervalSeconds;
        private long storedEpochMillis;
        private final Map<String, StoredSubscription> subscriptions = new LinkedHashMap<>();

        Replayed(String clientId) {
            this.clientId = clientId;
        }

        StoredSession toStoredSession() {
            return new StoredSession(clientId, expiryIntervalSeconds, storedEpochMillis,
                    new ArrayList<>(subscriptions.values()));
        }
    }

    private SessionRecords() {
    }

    static byte[] session(String clientId, long expiryIntervalSeconds, long storedEpochMillis) {
        return header(TYPE_SESSION, clientId).writeLong(expiryIntervalSeconds).writeLong(storedEpochMillis)
                .toByteArray();
    }

    static byte[] ended(String clientId) {
        return header(TYPE_ENDED, clientId).toByteArray();
    }

    static byte[] subscribed(String clientId, StoredSubscription subscription) {
        int flags = (subscription.noLocal() ? FLAG_NO_LOCAL : 0)
                | (subscription.retainAsPublished() ? FLAG_RETAIN_AS_PUBLISHED : 0);
        return header(TYPE_SUBSCRIBED, clientId)
                .writeString(subscription.filter())
                .writeByte(subscription.qos().value())
                .writeByte(flags)
                .writeByte(subscription.retainHandling().value())
                .writeInt(subscription.subscriptionId())
                .toByteArray();
    }

    static byte[] unsubscribed(String clientId, String filter) {
        return header(TYPE_UNSUBSCRIBED, clientId).writeString(filter).toByteArray();
    }

    private static RecordWriter header(int type, String clientId) {
        return new RecordWriter().writeByte(FORMAT_VERSION).writeByte(type).writeString(clientId);
    }

    /**
     * Applies one record to the sessions replayed so far. A subscription record of a client without a
     * session record is ignored, because the session ended or its record was lost.
     *
     * @throws RecordReader.CorruptRecordException if the record is damaged or of an unknown version or type
     */
    static void apply(byte[] record, Map<String, Replayed> sessions) {
        RecordReader reader = new RecordReader(record);
        int version = reader.readByte();
        if (version != FORMAT_VERSION) {
            throw new RecordReader.CorruptRecordException("unknown format version " + version + ", expected "
                    + FORMAT_VERSION);
        }
        int type = reader.readByte();
        String clientId = reader.readString();
        if (clientId == null) {
            throw new RecordReader.CorruptRecordException("missing client identifier in a session record");
        }
        switch (type) {
            case TYPE_SESSION -> {
                Replayed session = sessions.computeIfAbsent(clientId, Replayed::new);
                session.expiryIntervalSeconds = reader.readLong();
                session.storedEpochMillis = reader.readLong();
            }
            case TYPE_ENDED -> sessions.remove(clientId);
            case TYPE_SUBSCRIBED -> {
                StoredSubscription subscription = readSubscription(reader);
                Replayed session = sessions.get(clientId);
                if (session != null) {
                    session.subscriptions.put(subscription.filter(), subscription);
                }
            }
            case TYPE_UNSUBSCRIBED -> {
                String filter = reader.readString();
                Replayed session = sessions.get(clientId);
                if (session != null) {
                    session.subscriptions.remove(filter);
                }
            }
            default -> throw new RecordReader.CorruptRecordException("unknown session record type " + type);
        }
    }

    private static StoredSubscription readSubscription(RecordReader reader) {
        String filter = reader.readString();
        if (filter == null || filter.isEmpty()) {
            throw new RecordReader.CorruptRecordException("missing filter in a subscription record");
        }
        int qos = reader.readByte();
        if (qos > 2) {
            throw new RecordReader.CorruptRecordException("invalid QoS " + qos + " in a subscription record");
        }
        int flags = reader.readByte();
        int retainHandling = reader.readByte();
        if (retainHandling > 2) {
            throw new RecordReader.CorruptRecordException("invalid retain handling " + retainHandling
                    + " in a subscription record");
        }
        int subscriptionId = reader.readInt();
        if (subscriptionId < 0) {
            throw new RecordReader.CorruptRecordException("invalid subscription identifier " + subscriptionId
                    + " in a subscription record");
        }
        return new StoredSubscription(filter, Qos.values()[qos], (flags & FLAG_NO_LOCAL) != 0,
                (flags & FLAG_RETAIN_AS_PUBLISHED) != 0, RetainHandling.of(retainHandling), subscriptionId);
    }
}
