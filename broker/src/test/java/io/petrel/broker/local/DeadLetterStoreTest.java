package io.petrel.broker.local;

import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterPage;
import io.petrel.api.DeadLetterQuery;
import io.petrel.api.Message;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeadLetterStoreTest {

    private static final Instant T0 = Instant.parse("2026-03-01T08:00:00Z");

    private static DeadLetter letter(String id, String topic, int minute) {
        Instant at = T0.plusSeconds(60L * minute);
        return new DeadLetter(id, "room/#", Message.builder(topic).payload(id).build(),
                DeadLetter.Reason.ATTEMPTS_EXHAUSTED, 1, at, at, IllegalStateException.class.getName(), null);
    }

    private static List<String> ids(DeadLetterPage page) {
        return page.letters().stream().map(DeadLetter::id).toList();
    }

    @Test
    void cursorStaysValidAfterItsLetterIsRemoved() {
        InMemoryDeadLetterStore store = new InMemoryDeadLetterStore();
        for (int i = 0; i < 4; i++) {
            store.append(letter("l" + i, "room/a/light", i));
        }
        DeadLetterPage first = store.list(DeadLetterQuery.all(), null, 2);

        store.remove("l1");
        DeadLetterPage second = store.list(DeadLetterQuery.all(), first.nextCursor().orElseThrow(), 2);

        assertEquals(List.of("l0", "l1"), ids(first));
        assertEquals(List.of("l2", "l3"), ids(second));
        assertTrue(second.nextCursor().isEmpty());
    }

    @Test
    void lastPageHasNoCursor() {
        InMemoryDeadLetterStore store = new InMemoryDeadLetterStore();
        store.append(letter("l0", "room/a/light", 0));
        store.append(letter("l1", "room/a/light", 1));

        DeadLetterPage page = store.list(DeadLetterQuery.all(), null, 2);

        assertTrue(page.nextCursor().isEmpty());
    }

    @Test
    void invalidCursorIsRejected() {
        InMemoryDeadLetterStore store = new InMemoryDeadLetterStore();

        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> store.list(DeadLetterQuery.all(), "page-2", 10));

        assertTrue(error.getMessage().contains("'page-2'"), error.getMessage());
    }

    @Test
    void duplicateIdFailsAppend() {
        InMemoryDeadLetterStore store = new InMemoryDeadLetterStore();
        store.append(letter("l0", "room/a/light", 0));

        CompletionException error = assertThrows(CompletionException.class,
                () -> store.append(letter("l0", "room/b/light", 1)).toCompletableFuture().join());

        assertInstanceOf(IllegalArgumentException.class, error.getCause());
        assertEquals(1, store.count(DeadLetterQuery.all()));
    }

    @Test
    void fullStoreDropsOldest() {
        InMemoryDeadLetterStore store = new InMemoryDeadLetterStore(3);

        for (int i = 0; i < 5; i++) {
            store.append(letter("l" + i, "room/a/light", i));
        }

        assertEquals(List.of("l2", "l3", "l4"), ids(store.list(DeadLetterQuery.all(), null, 10)));
        assertEquals(2, store.droppedCount());
        assertFalse(store.get("l0").isPresent());
    }

    @Test
    void capacityBelowOneIsRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new InMemoryDeadLetterStore(0));

        assertTrue(error.getMessage().contains("capacity 0"), error.getMessage());
    }

    @Test
    void timeRangeIsInclusiveFromExclusiveTo() {
        InMemoryDeadLetterStore store = new InMemoryDeadLetterStore();
        for (int i = 0; i < 4; i++) {
            store.append(letter("l" + i, "room/a/light", i));
        }
        DeadLetterQuery query = DeadLetterQuery.builder().from(T0.plusSeconds(60)).to(T0.plusSeconds(180)).build();

        assertEquals(List.of("l1", "l2"), ids(store.list(query, null, 10)));
        assertEquals(2, store.count(query));
    }

    @Test
    void queryRejectsToBeforeFrom() {
        DeadLetterQuery.Builder builder = DeadLetterQuery.builder().from(T0).to(T0.minusSeconds(1));

        assertThrows(IllegalArgumentException.class, builder::build);
    }

    @Test
    void queryRejectsInvalidTopicFilter() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> DeadLetterQuery.builder().topicFilter("room/#/light"));

        assertTrue(error.getMessage().contains("'room/#/light'"), error.getMessage());
    }

    @Test
    void topicFilterMatchesLikeSubscriptions() {
        String[][] cases = {
                // filter, topic, expected
                {"room/+/light", "room/kitchen/light", "true"},
                {"room/+/light", "room/kitchen/heater", "false"},
                {"room/+/light", "room/light", "false"},
                {"room/#", "room", "true"},
                {"room/#", "room/kitchen/light", "true"},
                {"#", "room/kitchen/light", "true"},
                {"#", "$SYS/broker/uptime", "false"},
                {"+/broker/uptime", "$SYS/broker/uptime", "false"},
                {"$SYS/#", "$SYS/broker/uptime", "true"},
                {"room/+", "room/", "true"},
                {"room/kitchen", "room/kitchen/light", "false"},
                {"+", "room", "true"},
        };
        for (String[] row : cases) {
            DeadLetterQuery query = DeadLetterQuery.builder().topicFilter(row[0]).build();

            boolean matched = query.matches(letter("l", row[1], 0));

            assertEquals(Boolean.parseBoolean(row[2]), matched, row[0] + " against " + row[1]);
        }
    }

    @Test
    void deadLetterRejectsLastFailureBeforeFirst() {
        Message message = Message.builder("room/a/light").build();

        assertThrows(IllegalArgumentException.class, () -> new DeadLetter("id", "room/#", message,
                DeadLetter.Reason.UNPROCESSABLE, 1, T0, T0.minusSeconds(1), "X", "m"));
    }
}
