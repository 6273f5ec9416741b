package io.petrel.broker.session;

import java.util.function.Predicate;
import org.agrona.collections.Int2ObjectHashMap;

/**
 * The outbound QoS 1 and 2 messages of one session that await acknowledgement, found by packet
 * identifier and kept in the order they were sent, which is the order they are resent in. The
 * messages link to each other, and the map keys are plain {@code int}s, so adding and removing a
 * message allocates nothing once the map has grown to the window's size.
 *
 * <p>A new connection of the session sends the window again, oldest first, but no more messages at
 * once than its own limit allows. {@link #markAllUnsent()} marks every message as not yet sent on
 * it, {@link #takeUnsent()} returns the oldest marked one, and {@link #sentCount()} returns how many
 * of the window's messages were sent on that connection.
 *
 * <p>Threads: owned by the session's event loop, or by the thread that restores sessions before the
 * broker accepts connections.
 */
final class InflightWindow {

    private final Int2ObjectHashMap<QueuedPublish> byPacketId = new Int2ObjectHashMap<>();
    private QueuedPublish first;
    private QueuedPublish last;
    /** The oldest message not yet sent on the current connection, or null. */
    private QueuedPublish oldestUnsent;
    private int unsentCount;

    int size() {
        return byPacketId.size();
    }

    boolean contains(int packetId) {
        return byPacketId.containsKey(packetId);
    }

    /** Returns the message sent with {@code packetId}, or null. */
    QueuedPublish get(int packetId) {
        return byPacketId.get(packetId);
    }

    /**
     * Appends a message sent with {@code packetId}.
     *
     * @throws IllegalStateException if a message with that packet identifier is in the window
     */
    void add(int packetId, QueuedPublish message) {
        if (byPacketId.containsKey(packetId)) {
            throw new IllegalStateException("packet identifier " + packetId + " is already in flight");
        }
        byPacketId.put(packetId, message);
        message.link(packetId, last);
        if (last == null) {
            first = message;
        } else {
            last.next = message;
        }
        last = message;
    }

    /** Removes and returns the message sent with {@code packetId}, or returns null. */
    QueuedPublish remove(int packetId) {
        QueuedPublish message = byPacketId.remove(packetId);
        if (message != null) {
            unlink(message);
        }
        return message;
    }

    /** Removes every message that {@code filter} accepts, calling it once per message in send order. */
    void removeIf(Predicate<QueuedPublish> filter) {
        QueuedPublish message = first;
        while (message != null) {
            QueuedPublish following = message.next;
            if (filter.test(message)) {
                byPacketId.remove(message.packetId());
                unlink(message);
            }
            message = following;
        }
    }

    /** Returns the oldest message, or null. {@link QueuedPublish#next} leads to the newer ones. */
    QueuedPublish first() {
        return first;
    }

    /** Marks every message as not yet sent, for a connection that has just attached. */
    void markAllUnsent() {
        for (QueuedPublish message = first; message != null; message = message.next) {
            message.unsent = true;
        }
        oldestUnsent = first;
        unsentCount = size();
    }

    /** Returns true if a message in the window was not yet sent on the current connection. */
    boolean hasUnsent() {
        return oldestUnsent != null;
    }

    /** Returns the oldest message not yet sent on the current connection, marked as sent, or null. */
    QueuedPublish takeUnsent() {
        QueuedPublish message = oldestUnsent;
        if (message != null) {
            markSent(message);
        }
        return message;
    }

    /**
     * Marks {@code message}, which is in the window, as sent on the current connection: when it is
     * resent, or when an acknowledgement for it arrives before its resend. Does nothing if it is marked.
     */
    void markSent(QueuedPublish message) {
        if (message.unsent) {
            message.unsent = false;
            unsentCount--;
            if (oldestUnsent == message) {
                oldestUnsent = nextUnsent(message.next);
            }
        }
    }

    /** Returns the number of messages in the window that were sent on the current connection. */
    int sentCount() {
        return size() - unsentCount;
    }

    private static QueuedPublish nextUnsent(QueuedPublish from) {
        QueuedPublish message = from;
        while (message != null && !message.unsent) {
            message = message.next;
        }
        return message;
    }

    private void unlink(QueuedPublish message) {
        // A client may acknowledge what the previous connection delivered before it is sent again.
        markSent(message);
        QueuedPublish previous = message.previous;
        QueuedPublish following = message.next;
        if (previous == null) {
            first = following;
        } else {
            previous.next = following;
        }
        if (following == null) {
            last = previous;
        } else {
            following.previous = previous;
        }
        message.previous = null;
        message.next = null;
    }
}
