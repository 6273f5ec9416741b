package io.petrel.persistence.chronicle;

import io.petrel.api.Qos;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The live records of the session journal, by journal index. The live records of a stored session
 * are its last session record and the last subscribed record of each filter. For each message not
 * removed they are its queued record and its last sent and released records, and for each unreleased
 * incoming QoS 2 packet identifier its received record. Records of ended sessions, unsubscribed
 * filters, removed messages and released packet identifiers are dead, and so are records of clients
 * without a session.
 *
 * <p>Memory: no message payloads, about 100 bytes per live message on a 64-bit JVM (an estimate
 * from the object sizes: a tree map entry, its key and a {@code MessageRecords}), and the filter of
 * each subscription.
 *
 * <p>Threads: not thread-safe, see {@link LiveRecords}.
 */
final class SessionLiveRecords implements LiveRecords {

    private static final long NONE = -1;

    /** The live records of one session. */
    private static final class Client {
        private long session;
        private final Map<String, Long> subscriptions = new LinkedHashMap<>();
        private final TreeMap<Long, MessageRecords> messages = new TreeMap<>();
        private final Map<Integer, Long> inboundQos2 = new LinkedHashMap<>();
        private long messageRecords;

        Client(long session) {
            this.session = session;
        }

        long count() {
            return 1 + subscriptions.size() + messageRecords + inboundQos2.size();
        }
    }

    /** The live records of one message: its queued record and its last sent and released records. */
    private static final class MessageRecords {
        private final long queued;
        private final boolean exactlyOnce;
        private long sent = NONE;
        private long released = NONE;

        MessageRecords(long queued, boolean exactlyOnce) {
            this.queued = queued;
            this.exactlyOnce = exactlyOnce;
        }

        int count() {
            return 1 + (sent == NONE ? 0 : 1) + (released == NONE ? 0 : 1);
        }
    }

    private final Map<String, Client> clients = new HashMap<>();
    private long count;

    @Override
    public void track(byte[] record, long index) {
        RecordReader reader = new RecordReader(record);
        int type = SessionRecords.readType(reader);
        String clientId = SessionRecords.readClientId(reader);
        Client client = clients.get(clientId);
        if (type == SessionRecords.TYPE_SESSION) {
            if (client == null) {
                clients.put(clientId, new Client(index));
                count++;
            } else {
                client.session = index;
            }
            return;
        }
        if (client == null) {
            // Replay ignores the record of a client without a session.
            return;
        }
        switch (type) {
            case SessionRecords.TYPE_ENDED -> {
                clients.remove(clientId);
                count -= client.count();
            }
            case SessionRecords.TYPE_SUBSCRIBED -> {
                if (client.subscriptions.put(reader.readString(), index) == null) {
                    count++;
                }
            }
            case SessionRecords.TYPE_UNSUBSCRIBED -> {
                if (client.subscriptions.remove(reader.readString()) != null) {
                    count--;
                }
            }
            case SessionRecords.TYPE_INBOUND_RECEIVED -> {
                if (client.inboundQos2.put(reader.readInt(), index) == null) {
                    count++;
                }
            }
            case SessionRecords.TYPE_INBOUND_RELEASED -> {
                if (client.inboundQos2.remove(reader.readInt()) != null) {
                    count--;
                }
            }
            default -> trackMessage(type, reader, client, index);
        }
    }

    private void trackMessage(int type, RecordReader reader, Client client, long index) {
        long messageId = reader.readLong();
        if (type == SessionRecords.TYPE_MESSAGE_QUEUED) {
            // Reads the arrival time, the topic and the QoS, and leaves the rest of the message undecoded.
            reader.readLong();
            reader.readString();
            boolean exactlyOnce = reader.readByte() == Qos.EXACTLY_ONCE.value();
            removeMessage(client, messageId);
            client.messages.put(messageId, new MessageRecords(index, exactlyOnce));
            client.messageRecords++;
            count++;
            return;
        }
        if (type == SessionRecords.TYPE_MESSAGE_REMOVED) {
            removeMessage(client, messageId);
            return;
        }
        MessageRecords message = client.messages.get(messageId);
        if (message == null) {
            return;
        }
        int before = message.count();
        if (type == SessionRecords.TYPE_MESSAGE_SENT) {
            message.sent = index;
        } else if (message.sent != NONE && message.exactlyOnce) {
            message.released = index;
        } else {
            // Replay rejects the release of an unsent or QoS 1 message.
            return;
        }
        client.messageRecords += message.count() - before;
        count += message.count() - before;
    }

    private void removeMessage(Client client, long messageId) {
        MessageRecords removed = client.messages.remove(messageId);
        if (removed != null) {
            client.messageRecords -= removed.count();
            count -= removed.count();
        }
    }

    @Override
    public long count() {
        return count;
    }

    /**
     * Returns the indices session by session: the session record first, then the subscribed records,
     * the records of each message in ascending message identifier order, and the received records.
     */
    @Override
    public long[] copyOrder() {
        long[] indices = new long[Math.toIntExact(count)];
        int next = 0;
        for (Client client : clients.values()) {
            indices[next++] = client.session;
            for (long subscription : client.subscriptions.values()) {
                indices[next++] = subscription;
            }
            for (MessageRecords message : client.messages.values()) {
                indices[next++] = message.queued;
                if (message.sent != NONE) {
                    indices[next++] = message.sent;
                }
                if (message.released != NONE) {
                    indices[next++] = message.released;
                }
            }
            for (long received : client.inboundQos2.values()) {
                indices[next++] = received;
            }
        }
        return indices;
    }
}
