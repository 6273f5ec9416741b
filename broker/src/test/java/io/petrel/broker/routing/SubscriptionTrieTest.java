package io.petrel.broker.routing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SubscriptionTrieTest {

    private final SubscriptionTrie<String, Integer> trie = new SubscriptionTrie<>();

    @Test
    void putReturnsPreviousValue() {
        assertNull(trie.put("a/b", "client-1", 0));
        assertEquals(0, trie.put("a/b", "client-1", 2));
        assertEquals(1, trie.size());
        assertEquals(Map.of("client-1", List.of(2)), matches("a/b"));
    }

    @Test
    void removeReturnsRemovedValue() {
        trie.put("a/b", "client-1", 1);
        trie.put("a/b", "client-2", 2);

        assertEquals(1, trie.remove("a/b", "client-1"));
        assertNull(trie.remove("a/b", "client-1"));
        assertNull(trie.remove("a/c", "client-2"));
        assertNull(trie.remove("a/#/b", "client-2"));
        assertEquals(1, trie.size());
        assertEquals(Map.of("client-2", List.of(2)), matches("a/b"));
    }

    @Test
    void sizeCountsFilterSubscriberPairs() {
        assertTrue(trie.isEmpty());
        trie.put("a/b", "client-1", 0);
        trie.put("a/b", "client-2", 0);
        trie.put("a/+", "client-1", 0);
        trie.put("a/+", "client-1", 1);

        assertEquals(3, trie.size());
        assertFalse(trie.isEmpty());
    }

    @Test
    void subscriberWithTwoMatchingFiltersIsVisitedTwice() {
        trie.put("a/b", "client-1", 0);
        trie.put("a/+", "client-1", 1);
        trie.put("#", "client-1", 2);

        assertEquals(List.of(0, 1, 2), sorted(matches("a/b").get("client-1")));
    }

    @Test
    void multiLevelWildcardMatchesParentLevel() {
        trie.put("a/#", "client-1", 0);

        assertEquals(Map.of("client-1", List.of(0)), matches("a"));
        assertEquals(Map.of("client-1", List.of(0)), matches("a/b/c"));
        assertEquals(Map.of(), matches("ab"));
    }

    @Test
    void singleLevelWildcardMatchesEmptyLevel() {
        trie.put("a/+/c", "client-1", 0);
        trie.put("a/+", "client-2", 0);

        assertEquals(Map.of("client-1", List.of(0)), matches("a//c"));
        assertEquals(Map.of("client-2", List.of(0)), matches("a/"));
        assertEquals(Map.of(), matches("a"));
    }

    @Test
    void emptyLevelsMatchExactly() {
        trie.put("/", "client-1", 0);
        trie.put("a//b", "client-2", 0);
        trie.put("/a", "client-3", 0);

        assertEquals(Map.of("client-1", List.of(0)), matches("/"));
        assertEquals(Map.of("client-2", List.of(0)), matches("a//b"));
        assertEquals(Map.of("client-3", List.of(0)), matches("/a"));
        assertEquals(Map.of(), matches("a/b"));
    }

    @Test
    void dollarTopicsSkipFirstLevelWildcards() {
        trie.put("#", "all", 0);
        trie.put("+/x", "plus", 0);
        trie.put("$SYS/#", "sys", 0);
        trie.put("$SYS/+", "sys-plus", 0);

        assertEquals(Map.of("sys", List.of(0), "sys-plus", List.of(0)), matches("$SYS/x"));
        assertEquals(Map.of("sys", List.of(0)), matches("$SYS"));
        assertEquals(Map.of("all", List.of(0), "plus", List.of(0)), matches("a/x"));
    }

    @Test
    void putRejectsInvalidFilter() {
        assertThrows(IllegalArgumentException.class, () -> trie.put("a/#/b", "client-1", 0));
        assertThrows(IllegalArgumentException.class, () -> trie.put("", "client-1", 0));
        assertTrue(trie.isEmpty());
    }

    @Test
    void putRejectsTooManyLevels() {
        SubscriptionTrie<String, Integer> shallow = new SubscriptionTrie<>(3);
        shallow.put("a/+/c", "client-1", 0);

        assertThrows(IllegalArgumentException.class, () -> shallow.put("a/+/c/d", "client-1", 0));
        assertEquals(1, shallow.size());
    }

    @Test
    void removePrunesEmptyNodes() {
        assertEquals(1, trie.nodeCount());
        trie.put("a/b/c", "client-1", 0);
        trie.put("a/+/c", "client-1", 0);
        trie.put("a/#", "client-1", 0);
        trie.put("a/b", "client-2", 0);
        // The root, a, + and c, and the map entries of a/b/c and a/b; a/# needs no node of its own.
        assertEquals(6, trie.nodeCount());

        trie.remove("a/b/c", "client-1");
        assertEquals(5, trie.nodeCount());
        trie.remove("a/+/c", "client-1");
        assertEquals(3, trie.nodeCount());
        trie.remove("a/b", "client-2");
        trie.remove("a/#", "client-1");

        assertEquals(1, trie.nodeCount());
        assertTrue(trie.isEmpty());
    }

    @Test
    void churnLeavesOnlyRoot() {
        for (int i = 0; i < 1_000; i++) {
            trie.put("site/" + (i % 10) + "/device/" + i + "/temp", "client-" + i, 0);
            trie.put("site/" + (i % 10) + "/device/+/temp", "client-" + i, 0);
        }
        for (int i = 0; i < 1_000; i++) {
            trie.remove("site/" + (i % 10) + "/device/" + i + "/temp", "client-" + i);
            trie.remove("site/" + (i % 10) + "/device/+/temp", "client-" + i);
        }

        assertEquals(1, trie.nodeCount());
        assertEquals(0, trie.size());
    }

    @Test
    void matchAgreesWithReferenceMatcher() {
        Random random = new Random(20_240_601);
        // filter -> subscriber -> value; a repeated (filter, subscriber) keeps its last value, as in the trie
        Map<String, Map<String, Integer>> subscriptions = new HashMap<>();
        for (int i = 0; i < 2_000; i++) {
            String filter = TopicGenerator.filter(random);
            String subscriber = "client-" + (i % 50);
            subscriptions.computeIfAbsent(filter, k -> new HashMap<>()).put(subscriber, i);
            trie.put(filter, subscriber, i);
        }
        assertMatchesReference(subscriptions, random);
    }

    @Test
    void matchAgreesWithReferenceMatcherAfterRemovals() {
        Random random = new Random(20_261_205);
        Map<String, Map<String, Integer>> subscriptions = new HashMap<>();
        List<String[]> added = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            String filter = TopicGenerator.filter(random);
            String subscriber = "client-" + (i % 30);
            subscriptions.computeIfAbsent(filter, k -> new HashMap<>()).put(subscriber, i);
            trie.put(filter, subscriber, i);
            added.add(new String[] {filter, subscriber});
        }
        // Removing two thirds takes nodes from several exact children down to one and to none.
        for (int i = 0; i < added.size(); i++) {
            if (i % 3 != 0) {
                String filter = added.get(i)[0];
                String subscriber = added.get(i)[1];
                // A pair added twice is gone after its first removal.
                Map<String, Integer> subscribers = subscriptions.getOrDefault(filter, new HashMap<>());
                assertEquals(subscribers.remove(subscriber), trie.remove(filter, subscriber), "remove " + filter);
                if (subscribers.isEmpty()) {
                    subscriptions.remove(filter);
                }
            }
        }

        assertMatchesReference(subscriptions, random);
    }

    @Test
    void removeOfHashLookalikeKeepsSubscription() {
        trie.put("a/#", "client-1", 1);

        assertNull(trie.remove("a/b#", "client-1"));
        assertEquals(Map.of("client-1", List.of(1)), matches("a/b"));
    }

    private void assertMatchesReference(Map<String, Map<String, Integer>> subscriptions, Random random) {
        assertEquals(subscriptions.values().stream().mapToInt(Map::size).sum(), trie.size());
        for (int i = 0; i < 2_000; i++) {
            assertTopicMatchesReference(subscriptions, TopicGenerator.topic(random));
        }
    }

    /** Checks that the trie visits, for {@code topic}, the values that a filter-by-filter check finds. */
    private void assertTopicMatchesReference(Map<String, Map<String, Integer>> subscriptions, String topic) {
        Map<String, List<Integer>> expected = new HashMap<>();
        subscriptions.forEach((filter, subscribers) -> {
            if (Topics.matches(filter, topic)) {
                subscribers.forEach((subscriber, value) ->
                        expected.computeIfAbsent(subscriber, k -> new ArrayList<>()).add(value));
            }
        });
        Map<String, List<Integer>> actual = matches(topic);
        expected.replaceAll((subscriber, values) -> sorted(values));
        actual.replaceAll((subscriber, values) -> sorted(values));
        assertEquals(expected, actual, "topic '" + topic + "'");
    }

    @Test
    void readersAlwaysSeeStableSubscriptionDuringChurn() throws InterruptedException {
        String stableFilter = "site/1/device/7/temp";
        trie.put(stableFilter, "stable", 1);
        int readers = 2;
        int churnRounds = 300_000;
        long maxMatchesPerReader = 50_000_000L;
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch readersDone = new CountDownLatch(readers);
        CountDownLatch writerDone = new CountDownLatch(1);
        AtomicLong matchCount = new AtomicLong();
        AtomicInteger misses = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();

        for (int r = 0; r < readers; r++) {
            startThread("trie-reader-" + r, start, readersDone, failure, () -> {
                int[] seen = new int[1];
                long i = 0;
                // Match for as long as the writer churns, bounded in case it stalls.
                for (; i < maxMatchesPerReader && writerDone.getCount() > 0; i++) {
                    seen[0] = 0;
                    trie.match(stableFilter, (subscriber, value) -> {
                        if (subscriber.equals("stable")) {
                            seen[0]++;
                        }
                    });
                    if (seen[0] != 1) {
                        misses.incrementAndGet();
                    }
                }
                matchCount.addAndGet(i);
            });
        }
        startThread("trie-writer", start, writerDone, failure, () -> {
            // Churn the stable node's own subscriber set, its siblings and the levels above it, so
            // that level maps grow, shrink and detach while readers walk through them.
            for (int round = 0; round < churnRounds; round++) {
                if (round % 3 == 1) {
                    // Fills the wildcard-free table with 1,000 filters and empties it again, in turns,
                    // so that it grows and shrinks while readers search it.
                    String filter = "site/1/device/" + (round % 3_000) + "/rh";
                    if (round / 3_000 % 2 == 0) {
                        trie.put(filter, "churn", 0);
                    } else {
                        trie.remove(filter, "churn");
                    }
                    continue;
                }
                String churned = round % 3 == 0 ? stableFilter : "site/" + (round % 16) + "/device/+/#";
                String subscriber = "churn-" + (round % 32);
                trie.put(churned, subscriber, 0);
                trie.remove(churned, subscriber);
            }
        });

        runChurn(start, writerDone, readersDone, failure, matchCount);
        assertEquals(0, misses.get(), "matches that missed the stable subscription");
        assertEquals(1, trie.size());
        assertEquals(2, trie.nodeCount()); // the root and the map entry of the stable wildcard-free filter
    }

    @Test
    void largeFiltersAgreeWithReferenceMatcher() {
        Random random = new Random(20_261_206);
        String[] filters = {"fleet/all", "fleet/+", "fleet/#", "#"};
        Map<String, Map<String, Integer>> subscriptions = new HashMap<>();
        int maxLargeArrays = 0;
        for (int step = 1; step <= 40_000; step++) {
            String filter = filters[random.nextInt(filters.length)];
            String subscriber = "client-" + random.nextInt(200);
            Map<String, Integer> subscribers = subscriptions.computeIfAbsent(filter, k -> new HashMap<>());
            // Adds outweigh removals at first and removals later, so the arrays grow past 32 subscribers and shrink back.
            boolean add = random.nextInt(40_000) >= step;
            if (add) {
                assertEquals(subscribers.put(subscriber, step), trie.put(filter, subscriber, step), "put " + filter);
            } else {
                assertEquals(subscribers.remove(subscriber), trie.remove(filter, subscriber), "remove " + filter);
            }
            if (step % 2_000 == 0) {
                assertLargeFiltersMatch(subscriptions);
                maxLargeArrays = Math.max(maxLargeArrays, trie.largeSubscriberArrayCount());
            }
        }
        assertEquals(filters.length, maxLargeArrays, "filters whose arrays grew in place");

        for (String filter : filters) {
            for (int i = 0; i < 200; i++) {
                trie.remove(filter, "client-" + i);
            }
        }
        assertEquals(0, trie.size());
        assertEquals(1, trie.nodeCount());
        assertEquals(0, trie.largeSubscriberArrayCount());
    }

    private void assertLargeFiltersMatch(Map<String, Map<String, Integer>> subscriptions) {
        assertEquals(subscriptions.values().stream().mapToInt(Map::size).sum(), trie.size());
        for (String topic : new String[] {"fleet/all", "fleet/other", "fleet", "fleet/all/x"}) {
            assertTopicMatchesReference(subscriptions, topic);
        }
    }

    @Test
    void largeFiltersShrinkWithoutWriterState() {
        int count = 100_000;
        String[] filters = {"fleet/all", "fleet/+", "fleet/#"};
        List<String> subscribers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            subscribers.add("client-" + i);
        }
        for (String filter : filters) {
            for (String subscriber : subscribers) {
                trie.put(filter, subscriber, 1);
            }
        }
        assertEquals(filters.length, trie.largeSubscriberArrayCount());

        Collections.shuffle(subscribers, new Random(17));
        for (String filter : filters) {
            for (String subscriber : subscribers.subList(0, count - 17)) {
                assertEquals(1, trie.remove(filter, subscriber), filter + " " + subscriber);
            }
        }
        assertEquals(filters.length, trie.largeSubscriberArrayCount(), "arrays with 17 subscribers left");
        assertEquals(filters.length * 17L, trie.size());
        for (String filter : filters) {
            assertEquals(1, trie.remove(filter, subscribers.get(count - 17)));
        }
        assertEquals(0, trie.largeSubscriberArrayCount(), "arrays with 16 subscribers left");
        Map<String, List<Integer>> expected = new HashMap<>();
        for (String subscriber : subscribers.subList(count - 16, count)) {
            expected.put(subscriber, List.of(1, 1, 1));
        }
        assertEquals(expected, matches("fleet/all"));

        for (String filter : filters) {
            for (String subscriber : subscribers.subList(count - 16, count)) {
                assertEquals(1, trie.remove(filter, subscriber), filter + " " + subscriber);
            }
        }
        assertEquals(0, trie.size());
        assertEquals(1, trie.nodeCount());
        assertEquals(0, trie.largeSubscriberArrayCount());
    }

    @Test
    void largeFilterReadersSeeEachSubscriberOnce() throws InterruptedException {
        int stableCount = 100;
        for (int i = 0; i < stableCount; i++) {
            trie.put("fleet/all", "stable-" + i, 0);
            trie.put("fleet/+", "stable-" + i, 0);
        }
        assertEquals(2, trie.largeSubscriberArrayCount());
        int churnRounds = 200_000;
        long maxMatchesPerReader = 5_000_000L;
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch readersDone = new CountDownLatch(2);
        CountDownLatch writerDone = new CountDownLatch(1);
        AtomicLong matchCount = new AtomicLong();
        AtomicReference<String> problem = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();

        for (String topic : new String[] {"fleet/all", "fleet/other"}) {
            startThread("trie-reader-" + topic, start, readersDone, failure, () -> {
                long i = 0;
                for (; i < maxMatchesPerReader && writerDone.getCount() > 0; i++) {
                    Map<String, Integer> seen = new HashMap<>();
                    trie.match(topic, (subscriber, value) -> {
                        if (value == null) {
                            problem.compareAndSet(null, "no value for " + subscriber);
                        }
                        seen.merge(subscriber, 1, Integer::sum);
                    });
                    int filters = topic.equals("fleet/all") ? 2 : 1;
                    seen.forEach((subscriber, times) -> {
                        if (times > filters) {
                            problem.compareAndSet(null, subscriber + " visited " + times + " times for " + topic);
                        }
                    });
                    for (int s = 0; s < stableCount; s++) {
                        if (seen.getOrDefault("stable-" + s, 0) != filters) {
                            problem.compareAndSet(null, "stable-" + s + " missed for " + topic);
                        }
                    }
                }
                matchCount.addAndGet(i);
            });
        }
        startThread("trie-writer", start, writerDone, failure, () -> {
            Random random = new Random(7);
            // Subscribers that stay referenced, as sessions do, so that one that comes back is the same object.
            String[] churned = new String[300];
            Arrays.setAll(churned, i -> "churn-" + i);
            for (int round = 0; round < churnRounds; round++) {
                String filter = random.nextBoolean() ? "fleet/all" : "fleet/+";
                int kind = random.nextInt(3);
                if (kind == 0) {
                    trie.put(filter, "stable-" + random.nextInt(stableCount), round); // replaces a value
                } else if (kind == 1) {
                    trie.put(filter, churned[random.nextInt(churned.length)], round);
                } else {
                    trie.remove(filter, churned[random.nextInt(churned.length)]);
                }
            }
        });

        runChurn(start, writerDone, readersDone, failure, matchCount);
        assertNull(problem.get());
    }

    @Test
    void largeFilterDoesNotKeepRemovedSubscribers() {
        SubscriptionTrie<Object, Integer> objects = new SubscriptionTrie<>();
        Object[] subscribers = new Object[100];
        for (int i = 0; i < subscribers.length; i++) {
            subscribers[i] = new Object();
            objects.put("fleet/all", subscribers[i], i);
        }
        objects.remove("fleet/all", subscribers[0]); // stays in place: 99 live pairs and 1 removed
        WeakReference<Object> removed = new WeakReference<>(subscribers[0]);
        subscribers[0] = null;

        await().atMost(Duration.ofSeconds(10)).until(() -> {
            System.gc();
            return removed.get() == null;
        });
        assertEquals(99, objects.size());
        assertEquals(1, objects.largeSubscriberArrayCount());
    }

    /** Code that a test thread runs. */
    private interface ThreadBody {
        void run() throws Exception;
    }

    /**
     * Starts a thread that waits for {@code start}, runs {@code body}, keeps the first failure of any
     * such thread in {@code failure}, and then counts down {@code done}.
     */
    private static void startThread(String name, CountDownLatch start, CountDownLatch done,
            AtomicReference<Throwable> failure, ThreadBody body) {
        Thread thread = new Thread(() -> {
            try {
                start.await();
                body.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            } finally {
                done.countDown();
            }
        }, name);
        thread.start();
    }

    /** Releases the started threads, waits for them and checks that they ran without failing. */
    private static void runChurn(CountDownLatch start, CountDownLatch writerDone, CountDownLatch readersDone,
            AtomicReference<Throwable> failure, AtomicLong matchCount) throws InterruptedException {
        start.countDown();
        assertTrue(writerDone.await(60, TimeUnit.SECONDS), "writer finished");
        assertTrue(readersDone.await(60, TimeUnit.SECONDS), "readers finished");
        assertNull(failure.get());
        assertTrue(matchCount.get() > 0, "readers matched while the writer churned");
    }

    private Map<String, List<Integer>> matches(String topic) {
        Map<String, List<Integer>> result = new HashMap<>();
        trie.match(topic, (subscriber, value) -> result.computeIfAbsent(subscriber, k -> new ArrayList<>()).add(value));
        return result;
    }

    private static List<Integer> sorted(List<Integer> values) {
        List<Integer> copy = new ArrayList<>(values);
        copy.sort(null);
        return copy;
    }
}
