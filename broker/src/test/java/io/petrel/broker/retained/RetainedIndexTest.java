package io.petrel.broker.retained;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.petrel.api.Message;
import io.petrel.broker.routing.TopicGenerator;
import io.petrel.broker.routing.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class RetainedIndexTest {

    private final RetainedIndex index = new RetainedIndex();

    @Test
    void putReplacesMessageOfSameTopic() {
        Message first = message("a/b", "1");
        Message second = message("a/b", "2");

        assertNull(index.put(first));
        assertSame(first, index.put(second));
        assertSame(second, index.get("a/b"));
        assertEquals(1, index.size());
    }

    @Test
    void removeClearsTopic() {
        Message kept = message("a", "kept");
        Message removed = message("a/b", "removed");
        index.put(kept);
        index.put(removed);

        assertSame(removed, index.remove("a/b"));
        assertNull(index.remove("a/b"));
        assertNull(index.remove("x/y"));
        assertNull(index.get("a/b"));
        assertSame(kept, index.get("a"));
        assertEquals(1, index.size());
    }

    @Test
    void getMissesParentAndChildTopics() {
        index.put(message("a/b", "1"));

        assertNull(index.get("a"));
        assertNull(index.get("a/b/c"));
        assertNull(index.get("a/b/"));
    }

    @Test
    void putRejectsInvalidTopicName() {
        assertThrows(IllegalArgumentException.class, () -> index.put(message("a/+", "1")));
        assertEquals(0, index.size());
    }

    @Test
    void removePrunesEmptyNodes() {
        index.put(message("a/b/c", "1"));
        index.put(message("a/b", "2"));
        index.put(message("a//", "3"));
        assertEquals(6, index.nodeCount());

        index.remove("a/b");
        assertEquals(6, index.nodeCount());
        index.remove("a/b/c");
        assertEquals(4, index.nodeCount());
        index.remove("a//");

        assertEquals(1, index.nodeCount());
        assertEquals(0, index.size());
    }

    @Test
    void multiLevelWildcardMatchesParentLevel() {
        index.put(message("a", "parent"));
        index.put(message("a/b/c", "child"));
        index.put(message("ab", "other"));

        assertEquals(Set.of("a", "a/b/c"), matchedTopics("a/#"));
    }

    @Test
    void dollarTopicsSkipFirstLevelWildcards() {
        index.put(message("$SYS/uptime", "1"));
        index.put(message("$SYS", "2"));
        index.put(message("a/uptime", "3"));

        assertEquals(Set.of("a/uptime"), matchedTopics("#"));
        assertEquals(Set.of("a/uptime"), matchedTopics("+/uptime"));
        assertEquals(Set.of("$SYS/uptime", "$SYS"), matchedTopics("$SYS/#"));
        assertEquals(Set.of("$SYS/uptime"), matchedTopics("$SYS/+"));
    }

    @Test
    void singleLevelWildcardMatchesEmptyLevel() {
        index.put(message("a/", "1"));
        index.put(message("a//c", "2"));

        assertEquals(Set.of("a/"), matchedTopics("a/+"));
        assertEquals(Set.of("a//c"), matchedTopics("a/+/c"));
    }

    @Test
    void matchAgreesWithBruteForceScan() {
        Random random = new Random(7_331);
        Map<String, Message> retained = new HashMap<>();
        for (int i = 0; i < 500; i++) {
            Message message = message(TopicGenerator.topic(random), Integer.toString(i));
            retained.put(message.topic(), message);
            index.put(message);
        }
        for (int i = 0; i < 100; i++) {
            String topic = TopicGenerator.topic(random);
            retained.remove(topic);
            index.remove(topic);
        }
        assertEquals(retained.size(), index.size());

        for (int i = 0; i < 1_000; i++) {
            String filter = TopicGenerator.filter(random);
            Set<String> expected = new TreeSet<>();
            for (String topic : retained.keySet()) {
                if (Topics.matches(filter, topic)) {
                    expected.add(topic);
                }
            }
            List<Message> visited = new ArrayList<>();
            index.match(filter, visited::add);
            Set<String> actual = new TreeSet<>();
            for (Message message : visited) {
                actual.add(message.topic());
            }
            assertEquals(expected, actual, "filter '" + filter + "'");
            assertEquals(expected.size(), visited.size(), "filter '" + filter + "' visited a topic twice");
        }
    }

    @Test
    void deepTopicDoesNotOverflowStack() {
        String deep = "/".repeat(60_000) + "x";
        index.put(message(deep, "deep"));

        List<Message> visited = new ArrayList<>();
        index.match("#", visited::add);

        assertEquals(1, visited.size());
        assertSame(visited.get(0), index.remove(deep));
        assertEquals(1, index.nodeCount());
    }

    private Set<String> matchedTopics(String filter) {
        Set<String> topics = new TreeSet<>();
        index.match(filter, message -> topics.add(message.topic()));
        return topics;
    }

    private static Message message(String topic, String payload) {
        return Message.builder(topic).payload(payload).retain(true).build();
    }
}
