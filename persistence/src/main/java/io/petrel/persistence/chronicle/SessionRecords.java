package io.petrel.persistence.chronicle;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;
import io.petrel.api.store.StoredSession;
import io.petrel.api.store.StoredSessionMessage;
import io.petrel.api.store.StoredSubscription;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

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
    static final int TYPE_MESSAGE_QUEUED = 5;
    static final int TYPE_MESSAGE_SENT = 6;
    static final int TYPE_MESSAGE_RELEASED = 7;
    static final int TYPE_MESSAGE_REMOVED = 8;
    static final int TYPE_INBOUND_RECEIVED = 9;
    static final int TYPE_INBOUND_RELEASED = 10;

    /** The largest packet identifier: MQTT packet identifiers are 16-bit and non-zero. */
    static final int MAX_PACKET_ID = 65_535;

    private static final int FLAG_NO_LOCAL = 1;
    private static final int FLAG_RETAIN_AS_PUBLISHED = 2;

    /**
     * A session while the journal is replayed: its subscriptions keyed by filter in journal order, its
     * messages keyed by message identifier, and its unreleased incoming QoS 2 packet identifiers.
     */
    static final class Replayed {
        private final String clientId;
        private long expiryIntervalSeconds;
        private long storedEpochMillis;
        private final Map<String, StoredSubscription> subscriptions = new LinkedHashMap<>();
        private final TreeMap<Long, ReplayedMessage> messages = new TreeMap<>();
        private final Set<Integer> inboundQos2PacketIds = new LinkedHashSet<>();

        Replayed(String clientId) {
            this.clientId = clientId;
        }

        StoredSession toStoredSession() {
            List<StoredSessionMessage> stored = new ArrayList<>(messages.size());
            for (ReplayedMessage message : messages.values()) {
                stored.add(new StoredSessionMessage(message.messageId, message.message, message.arrivalEpochMillis,
                        message.packetId, message.released));
            }
            return new StoredSession(clientId, expiryIntervalSeconds, storedEpochMillis,
                    new ArrayList<>(subscriptions.values()), stored, new ArrayList<>(inboundQos2PacketIds));
        }
    }

    /** A queued message while the journal is replayed, with the packet identifier it was sent with. */
    private static final class ReplayedMessage {
        private final long messageId;
        private final Message message;
        private final long arrivalEpochMillis;
        private int packetId;
        private boolean released;

        ReplayedMessage(long messageId, Message message, long arrivalEpochMillis) {
            this.messageId = messageId;
            this.message = message;
            this.arrivalEpochMillis = arrivalEpochMillis;
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

    static byte[] messageQueued(String clientId, long messageId, Message message, long arrivalEpochMillis) {
        return header(TYPE_MESSAGE_QUEUED, clientId).writeLong(messageId).writeLong(arrivalEpochMillis)
                .writeMessage(message).toByteArray();
    }

    static byte[] messageSent(String clientId, long messageId, int packetId) {
        return header(TYPE_MESSAGE_SENT, clientId).writeLong(messageId).writeInt(packetId).toByteArray();
    }

    static byte[] messageReleased(String clientId, long messageId) {
        return header(TYPE_MESSAGE_RELEASED, clientId).writeLong(messageId).toByteArray();
    }

    static byte[] messageRemoved(String clientId, long messageId) {
        return header(TYPE_MESSAGE_REMOVED, clientId).writeLong(messageId).toByteArray();
    }

    static byte[] inboundReceived(String clientId, int packetId) {
        return header(TYPE_INBOUND_RECEIVED, clientId).writeInt(packetId).toByteArray();
    }

    static byte[] inboundReleased(String clientId, int packetId) {
        return header(TYPE_INBOUND_RELEASED, clientId).writeInt(packetId).toByteArray();
    }

    private static RecordWriter header(int type, String clientId) {
        return new RecordWriter().writeByte(FORMAT_VERSION).writeByte(type).writeString(clientId);
    }

    /**
     * Applies one record to the sessions replayed so far. A record of a client without a session
     * record is ignored, because the session ended or its record was lost.
     *
     * @throws RecordReader.CorruptRecordException if the record is damaged or of an unknown version or type
     */
    static void apply(byte[] record, Map<String, Replayed> sessions) {
        RecordReader reader = new RecordReader(record);
        int type = readType(reader);
        String clientId = readClientId(reader);
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
            case TYPE_MESSAGE_QUEUED, TYPE_MESSAGE_SENT, TYPE_MESSAGE_RELEASED, TYPE_MESSAGE_REMOVED ->
                    applyMessageRecord(type, reader, sessions.get(clientId));
            case TYPE_INBOUND_RECEIVED -> {
                int packetId = readPacketId(reader);
                Replayed session = sessions.get(clientId);
                if (session != null) {
                    session.inboundQos2PacketIds.add(packetId);
                }
            }
            case TYPE_INBOUND_RELEASED -> {
                int packetId = readPacketId(reader);
                Replayed session = sessions.get(clientId);
                if (session != null) {
                    session.inboundQos2PacketIds.remove(packetId);
                }
            }
            default -> throw new IllegalStateException("session record type " + type + " passed readType but is not handled");
        }
    }

    private static void applyMessageRecord(int type, RecordReader reader, Replayed session) {
        long messageId = reader.readLong();
        if (type == TYPE_MESSAGE_QUEUED) {
            long arrivalEpochMillis = reader.readLong();
            Message message = reader.readMessage();
            if (message.qos() == Qos.AT_MOST_ONCE) {
                throw new RecordReader.CorruptRecordException("invalid QoS 0 in the queued record of message "
                        + messageId);
            }
            if (session != null) {
                session.messages.put(messageId, new ReplayedMessage(messageId, message, arrivalEpochMillis));
            }
            return;
        }
        int packetId = type == TYPE_MESSAGE_SENT ? readPacketId(reader) : 0;
        if (session == null) {
            return;
        }
        if (type == TYPE_MESSAGE_REMOVED) {
            session.messages.remove(messageId);
            return;
        }
        ReplayedMessage message = session.messages.get(messageId);
        if (message == null) {
            // The message was removed before, or its queued record was lost.
            return;
        }
        if (type == TYPE_MESSAGE_SENT) {
            message.packetId = packetId;
        } else if (message.packetId == 0 || message.message.qos() != Qos.EXACTLY_ONCE) {
            throw new RecordReader.CorruptRecordException("invalid released record of message " + messageId
                    + ": only a sent QoS 2 message can be released");
        } else {
            message.released = true;
        }
    }

    /**
     * Reads the version and type bytes of a session record and returns the type.
     *
     * @throws RecordReader.CorruptRecordException if the version or type is unknown
     */
    static int readType(RecordReader reader) {
        int version = reader.readByte();
        if (version != FORMAT_VERSION) {
            throw new RecordReader.CorruptRecordException("unknown format version " + version + ", expected "
                    + FORMAT_VERSION);
        }
        int type = reader.readByte();
        if (type < TYPE_SESSION || type > TYPE_INBOUND_RELEASED) {
            throw new RecordReader.CorruptRecordException("unknown session record type " + type);
        }
        return type;
    }

    /** Reads the client identifier that follows the type byte. */
    static String readClientId(RecordReader reader) {
        String clientId = reader.readString();
        if (clientId == null) {
            throw new RecordReader.CorruptRecordException("missing client identifier in a session record");
        }
        return clientId;
    }

    /** Reads a packet identifier, 1 to {@value #MAX_PACKET_ID}. */
    static int readPacketId(RecordReader reader) {
        int packetId = reader.readInt();
        if (packetId < 1 || packetId > MAX_PACKET_ID) {
            throw new RecordReader.CorruptRecordException("invalid packet identifier " + packetId
                    + " in a session record");
        }
        return packetId;
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
