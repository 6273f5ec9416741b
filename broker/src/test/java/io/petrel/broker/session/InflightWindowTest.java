package io.petrel.broker.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InflightWindowTest {

    @Test
    void messagesKeepSendOrder() {
        InflightWindow window = new InflightWindow();
        window.add(65_535, message());
        window.add(1, message());
        window.add(2, message());

        assertEquals(List.of(65_535, 1, 2), packetIds(window));
    }

    @Test
    void removedMessageLeavesOrderOfOthers() {
        InflightWindow window = new InflightWindow();
        window.add(1, message());
        QueuedPublish middle = message();
        window.add(2, middle);
        window.add(3, message());

        assertSame(middle, window.remove(2));
        assertEquals(List.of(1, 3), packetIds(window));
        assertFalse(window.contains(2));
        assertEquals(2, window.size());
    }

    @Test
    void removingFirstAndLastKeepsWindowUsable() {
        InflightWindow window = new InflightWindow();
        window.add(1, message());
        window.add(2, message());

        window.remove(1);
        window.remove(2);
        window.add(3, message());

        assertEquals(List.of(3), packetIds(window));
    }

    @Test
    void unknownPacketIdIsNotFound() {
        InflightWindow window = new InflightWindow();
        window.add(1, message());

        assertNull(window.get(5));
        assertNull(window.remove(5));
        assertEquals(1, window.size());
    }

    @Test
    void packetIdInUseIsRejected() {
        InflightWindow window = new InflightWindow();
        window.add(7, message());

        assertThrows(IllegalStateException.class, () -> window.add(7, message()));
    }

    @Test
    void removeIfDropsAcceptedMessagesOnly() {
        InflightWindow window = new InflightWindow();
        for (int id = 1; id <= 5; id++) {
            window.add(id, message());
        }

        window.removeIf(message -> message.packetId() % 2 == 1);

        assertEquals(List.of(2, 4), packetIds(window));
        assertTrue(window.contains(4));
        assertFalse(window.contains(3));
    }

    @Test
    void unsentMessagesAreTakenOldestFirst() {
        InflightWindow window = windowWithIds(3);

        window.markAllUnsent();
        assertEquals(0, window.sentCount());
        assertEquals(1, window.takeUnsent().packetId());
        assertEquals(1, window.sentCount());
        assertEquals(2, window.takeUnsent().packetId());
        assertEquals(3, window.takeUnsent().packetId());

        assertNull(window.takeUnsent());
        assertEquals(3, window.sentCount());
    }

    @Test
    void removedUnsentMessageIsSkipped() {
        InflightWindow window = windowWithIds(5);
        window.markAllUnsent();
        window.takeUnsent();

        window.remove(2); // the oldest unsent one
        window.remove(4);
        window.remove(1); // already sent

        assertEquals(0, window.sentCount());
        assertEquals(3, window.takeUnsent().packetId());
        assertEquals(5, window.takeUnsent().packetId());
        assertNull(window.takeUnsent());
        assertEquals(2, window.sentCount());
    }

    @Test
    void addedMessageCountsAsSent() {
        InflightWindow window = new InflightWindow();
        window.add(1, message());
        window.markAllUnsent();

        window.add(2, message());

        assertEquals(1, window.sentCount());
        assertEquals(1, window.takeUnsent().packetId());
        assertNull(window.takeUnsent());
        assertEquals(2, window.sentCount());
    }

    @Test
    void removeIfForgetsUnsentMessages() {
        InflightWindow window = windowWithIds(4);
        window.markAllUnsent();

        window.removeIf(message -> message.packetId() <= 2);

        assertEquals(0, window.sentCount());
        assertEquals(3, window.takeUnsent().packetId());
        assertEquals(4, window.takeUnsent().packetId());
        assertNull(window.takeUnsent());
    }

    @Test
    void markSentSkipsMessageOnResend() {
        InflightWindow window = windowWithIds(3);
        window.markAllUnsent();
        QueuedPublish middle = window.get(2);

        window.markSent(middle);
        window.markSent(middle);

        assertEquals(1, window.sentCount());
        assertEquals(1, window.takeUnsent().packetId());
        assertEquals(3, window.takeUnsent().packetId());
        assertNull(window.takeUnsent());
    }

    /** Returns a window with messages sent with packet identifiers 1 to {@code count}, in that order. */
    private static InflightWindow windowWithIds(int count) {
        InflightWindow window = new InflightWindow();
        for (int id = 1; id <= count; id++) {
            window.add(id, message());
        }
        return window;
    }

    private static QueuedPublish message() {
        return new QueuedPublish(null, null, null, 0);
    }

    private static List<Integer> packetIds(InflightWindow window) {
        List<Integer> ids = new ArrayList<>();
        for (QueuedPublish message = window.first(); message != null; message = message.next) {
            ids.add(message.packetId());
        }
        return ids;
    }
}
