package io.petrel.broker.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Compares {@link SubscriptionTrie#match} with a matcher written from the MQTT rules alone, over random
 * subscribes and unsubscribes. The levels include strings of one {@link String#hashCode()}, levels of 7
 * and 8 characters, non-Latin-1 text, empty levels and {@code $} levels.
 */
class SubscriptionTrieModelTest {

    private static final String[] LEVELS = buildLevels();
    private static final String[] SUBSCRIBERS = {"client-1", "client-2", "client-3", "client-4"};

    @Test
    void matchAgreesWithModelUnderChurn() {
        for (long seed = 1; seed <= 10; seed++) {
            Random random = new Random(seed);
            SubscriptionTrie<String, Integer> trie = new SubscriptionTrie<>();
            Map<String, Map<String, Integer>> model = new HashMap<>();
            List<String[]> added = new ArrayList<>();

            for (int step = 0; step < 4_000; step++) {
                if (added.isEmpty() || random.nextInt(10) < 6) {
                    String filter = filter(random);
                    String subscriber = SUBSCRIBERS[random.nextInt(SUBSCRIBERS.length)];
                    Integer previous = model.computeIfAbsent(filter, f -> new HashMap<>()).put(subscriber, step);
                    assertEquals(previous, trie.put(filter, subscriber, step), "seed " + seed + ": put " + filter);
                    added.add(new String[] {filter, subscriber});
                } else {
                    String[] pair = added.remove(random.nextInt(added.size()));
                    Map<String, Integer> subscribers = model.getOrDefault(pair[0], new HashMap<>());
                    Integer expected = subscribers.remove(pair[1]);
                    if (subscribers.isEmpty()) {
                        model.remove(pair[0]);
                    }
                    assertEquals(expected, trie.remove(pair[0], pair[1]), "seed " + seed + ": remove " + pair[0]);
                }
                if (step % 20 == 0) {
                    assertAgrees(trie, model, random, seed);
                }
            }
            assertAgrees(trie, model, random, seed);
        }
    }

    private static void assertAgrees(SubscriptionTrie<String, Integer> trie, Map<String, Map<String, Integer>> model,
            Random random, long seed) {
        assertEquals(model.values().stream().mapToLong(Map::size).sum(), trie.size(), "seed " + seed + ": size");
        List<String> topics = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            topics.add(topic(random));
        }
        // Topics equal to stored wildcard-free filters, so that lookups in the exact-filter table hit.
        model.keySet().stream().filter(f -> f.indexOf('+') < 0 && f.indexOf('#') < 0).limit(10).forEach(topics::add);

        for (String topic : topics) {
            Map<String, List<Integer>> expected = new TreeMap<>();
            model.forEach((filter, subscribers) -> {
                if (modelMatches(filter, topic)) {
                    subscribers.forEach((s, v) -> expected.computeIfAbsent(s, k -> new ArrayList<>()).add(v));
                }
            });
            Map<String, List<Integer>> actual = new TreeMap<>();
            trie.match(topic, (s, v) -> actual.computeIfAbsent(s, k -> new ArrayList<>()).add(v));
            expected.values().forEach(values -> values.sort(null));
            actual.values().forEach(values -> values.sort(null));
            assertEquals(expected, actual, "seed " + seed + ": topic '" + topic + "'");
        }
    }

    /**
     * Returns true if {@code filter} matches {@code topic}, comparing their levels split at every '/'
     * by the MQTT topic rules, independently of {@link Topics#matches}.
     */
    private static boolean modelMatches(String filter, String topic) {
        String[] filterLevels = filter.split("/", -1);
        String[] topicLevels = topic.split("/", -1);
        if (topic.startsWith("$") && (filterLevels[0].equals("+") || filterLevels[0].equals("#"))) {
            return false;
        }
        for (int i = 0; i < filterLevels.length; i++) {
            if (filterLevels[i].equals("#")) {
                return true;
            }
            if (i >= topicLevels.length) {
                return false;
            }
            if (!filterLevels[i].equals("+") && !filterLevels[i].equals(topicLevels[i])) {
                return false;
            }
        }
        return filterLevels.length == topicLevels.length;
    }

    private static String topic(Random random) {
        return TopicGenerator.topic(random, LEVELS);
    }

    private static String filter(Random random) {
        return TopicGenerator.filter(random, LEVELS);
    }

    /**
     * Returns the level pool: 16 levels of 8 characters with one String hash, 4 such levels of 4
     * characters, and short, long, empty, {@code $} and non-Latin-1 levels.
     */
    private static String[] buildLevels() {
        List<String> levels = new ArrayList<>(List.of("", "a", "b", "$SYS", "$x", "Aa", "BB", "battery", "battery1",
                "\u00e9t\u00e9", "\u20ac", "\u0394\u0394\u0394\u0394\u0394\u0394\u0394\u0394", "\ud83d\ude00",
                "temperature-sensor-0042"));
        for (int i = 0; i < 16; i++) {
            levels.add(LevelMapTest.collidingText(i, 4));
        }
        for (int i = 0; i < 4; i++) {
            levels.add(LevelMapTest.collidingText(i, 2));
        }
        return levels.toArray(String[]::new);
    }
}
