package io.petrel.benchmarks;

import io.petrel.broker.routing.SubscriptionTrie;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Routing lookups while another thread subscribes and unsubscribes: the load of a broker whose
 * clients come and go while devices publish. The trie contains {@code subscriptions} filters of the
 * {@link IotFleet} mix, like {@link TopicMatchBenchmark}. In each group one thread matches fleet
 * topics ({@code match}), and one thread ({@code churn}) adds a subscription and removes the oldest
 * of the {@value #CHURN_LIVE} subscriptions it added, so the trie size stays constant.
 *
 * <p>One {@code match} operation matches one topic; one {@code churn} operation is one subscribe plus
 * one unsubscribe. Compare the {@code match} figure with {@link TopicMatchBenchmark} to see what the
 * writers cost the lock-free readers.
 *
 * <p>Run it with
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks -am
 * java -jar benchmarks/target/benchmarks.jar SubscriptionChurnBenchmark -f 1 -wi 3 -i 5
 * </pre>
 * It runs once for each trie size (10,000, 100,000 and 1,000,000 subscriptions). Add
 * {@code -p subscriptions=100000} to run one size only.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SubscriptionChurnBenchmark {

    private static final int TOPIC_COUNT = 1 << 14;
    private static final int CHURN_LIVE = 1024;
    private static final long SEED = 0x5EED_C4A2L;

    @Param({"10000", "100000", "1000000"})
    public int subscriptions;

    private SubscriptionTrie<String, Integer> trie;
    private String[] topics;
    private final AtomicInteger nextThreadSeed = new AtomicInteger();

    @Setup(Level.Trial)
    public void buildTrie() {
        IotFleet fleet = new IotFleet(subscriptions / 100, SEED);
        trie = new SubscriptionTrie<>();
        for (int i = 0; i < subscriptions; i++) {
            trie.put(fleet.randomFilter(), "client-" + i, i % 3);
        }
        topics = new String[TOPIC_COUNT];
        for (int i = 0; i < TOPIC_COUNT; i++) {
            topics[i] = fleet.randomTopic();
        }
    }

    @Benchmark
    @Group("churn")
    @GroupThreads(1)
    public int match(Matcher matcher) {
        matcher.visited = 0;
        trie.match(topics[matcher.next++ & (TOPIC_COUNT - 1)], matcher);
        return matcher.visited;
    }

    @Benchmark
    @Group("churn")
    @GroupThreads(1)
    public Integer churn(Churner churner) {
        if (churner.fleet == null) {
            churner.start(subscriptions / 100, SEED + nextThreadSeed.incrementAndGet());
        }
        int slot = churner.next++ & (CHURN_LIVE - 1);
        String oldFilter = churner.filters[slot];
        Integer removed = oldFilter == null ? null : trie.remove(oldFilter, churner.subscribers[slot]);
        String filter = churner.fleet.randomFilter();
        String subscriber = "churn-" + churner.next;
        trie.put(filter, subscriber, 1);
        churner.filters[slot] = filter;
        churner.subscribers[slot] = subscriber;
        return removed;
    }

    /** Topic cursor and visitor of the matching thread. */
    @State(Scope.Thread)
    public static class Matcher implements BiConsumer<String, Integer> {
        int next;
        int visited;

        @Override
        public void accept(String subscriber, Integer value) {
            visited++;
        }
    }

    /** The subscriptions the churning thread added and has not yet removed, in a ring. */
    @State(Scope.Thread)
    public static class Churner {
        IotFleet fleet;
        final String[] filters = new String[CHURN_LIVE];
        final String[] subscribers = new String[CHURN_LIVE];
        int next;

        void start(int sites, long seed) {
            fleet = new IotFleet(sites, seed);
        }
    }
}
