package io.petrel.benchmarks;

import io.petrel.broker.routing.SubscriptionTrie;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Routing lookups in a {@link SubscriptionTrie} that models an IoT fleet. Devices publish to
 * {@code site/{s}/device/{d}/{metric}}, with 100 devices per site, 5 metrics and
 * {@code subscriptions / 100} sites, so the topic space has 5 topics per subscription.
 *
 * <p>The subscriptions, built in {@link #buildTrie()} with a fixed seed, are
 * <ul>
 *   <li>80% exact filters {@code site/{s}/device/{d}/{metric}} (dashboards of single devices),</li>
 *   <li>10% {@code site/{s}/device/+/{metric}} (one metric of every device of a site),</li>
 *   <li>5% {@code site/{s}/#} (site gateways and archivers),</li>
 *   <li>5% {@code +/{s}/device/{d}/#} (everything of one device, in any first-level tree).</li>
 * </ul>
 * Each subscription has its own subscriber id. Half of the published topics are copies of topics with
 * an exact subscription, the other half are drawn uniformly from the topic space. One operation
 * matches one topic and counts the visited subscribers.
 *
 * <p>Run it with
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks -am
 * java -jar benchmarks/target/benchmarks.jar TopicMatchBenchmark -f 1 -wi 3 -i 5
 * </pre>
 * It runs once for each trie size (10,000, 100,000 and 1,000,000 subscriptions). Add
 * {@code -p subscriptions=100000} to run only the size of the matching target, and {@code -t 2} to
 * match from two threads at once.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TopicMatchBenchmark {

    private static final String[] METRICS = {"temp", "rh", "co2", "battery", "rssi"};
    private static final int DEVICES_PER_SITE = 100;
    private static final int TOPIC_COUNT = 1 << 14;
    private static final long SEED = 0x5EED_7091CL;

    @Param({"10000", "100000", "1000000"})
    public int subscriptions;

    private SubscriptionTrie<String, Integer> trie;
    private String[] topics;

    @Setup
    public void buildTrie() {
        SplittableRandom random = new SplittableRandom(SEED);
        int sites = Math.max(1, subscriptions / 100);
        trie = new SubscriptionTrie<>();
        List<String> exactTopics = new ArrayList<>();
        for (int i = 0; i < subscriptions; i++) {
            int site = random.nextInt(sites);
            int device = random.nextInt(DEVICES_PER_SITE);
            String metric = METRICS[random.nextInt(METRICS.length)];
            int kind = random.nextInt(100);
            String filter;
            if (kind < 80) {
                filter = topic(site, device, metric);
                exactTopics.add(filter);
            } else if (kind < 90) {
                filter = "site/" + site + "/device/+/" + metric;
            } else if (kind < 95) {
                filter = "site/" + site + "/#";
            } else {
                filter = "+/" + site + "/device/" + device + "/#";
            }
            trie.put(filter, "client-" + i, kind % 3);
        }
        topics = new String[TOPIC_COUNT];
        for (int i = 0; i < TOPIC_COUNT; i++) {
            if (i % 2 == 0 && !exactTopics.isEmpty()) {
                // A copy, as the broker matches a topic it has just decoded, never the stored filter itself.
                topics[i] = new String(exactTopics.get(random.nextInt(exactTopics.size())));
            } else {
                topics[i] = topic(random.nextInt(sites), random.nextInt(DEVICES_PER_SITE),
                        METRICS[random.nextInt(METRICS.length)]);
            }
        }
    }

    @Benchmark
    public int match(Cursor cursor) {
        String topic = topics[cursor.next++ & (TOPIC_COUNT - 1)];
        cursor.visited = 0;
        trie.match(topic, cursor);
        return cursor.visited; // JMH sinks the returned count into a Blackhole
    }

    private static String topic(int site, int device, String metric) {
        return "site/" + site + "/device/" + device + "/" + metric;
    }

    /** Position in the topic array and the visitor of one benchmark thread. */
    @State(Scope.Thread)
    public static class Cursor implements BiConsumer<String, Integer> {
        int next;
        int visited;

        @Override
        public void accept(String subscriber, Integer value) {
            visited++;
        }
    }
}
