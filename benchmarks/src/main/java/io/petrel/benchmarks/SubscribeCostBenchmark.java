package io.petrel.benchmarks;

import io.petrel.broker.routing.SubscriptionTrie;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The cost of one subscribe and one unsubscribe in a {@link SubscriptionTrie} that is already large in
 * one place, from the thread that holds the trie's write lock.
 *
 * <ul>
 *   <li>{@code broadcastFilter}: {@code subscribers} clients share the wildcard-free filter
 *       {@code fleet/broadcast}, as devices subscribe to one announcement topic; one more client
 *       subscribes to it and unsubscribes again.</li>
 *   <li>{@code collidingFilters}: one client holds {@code subscribers} wildcard-free filters whose
 *       {@link String#hashCode()} is the same (each level is a sequence of the blocks {@code Aa} and
 *       {@code BB}); it subscribes to one more such filter and unsubscribes again. This is what a client
 *       can do to a table keyed by that hash.</li>
 * </ul>
 * One operation is one subscribe plus one unsubscribe.
 *
 * <p>Run it with
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks -am
 * java -jar benchmarks/target/benchmarks.jar SubscribeCostBenchmark -f 1 -wi 3 -i 5
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SubscribeCostBenchmark {

    private static final String BROADCAST = "fleet/broadcast";

    @Param({"1000", "32768"})
    public int subscribers;

    private SubscriptionTrie<Object, Integer> broadcast;
    private SubscriptionTrie<Object, Integer> colliding;
    private final Object extraSubscriber = new Object();
    private String extraFilter;

    @Setup(Level.Trial)
    public void buildTries() {
        broadcast = new SubscriptionTrie<>();
        for (int i = 0; i < subscribers; i++) {
            broadcast.put(BROADCAST, new Object(), 1);
        }
        int blocks = 32 - Integer.numberOfLeadingZeros(subscribers); // 2^blocks > subscribers
        colliding = new SubscriptionTrie<>();
        Object client = new Object();
        for (int i = 0; i < subscribers; i++) {
            colliding.put(collidingFilter(i, blocks), client, 1);
        }
        extraFilter = collidingFilter(subscribers, blocks);
    }

    @Benchmark
    public Integer broadcastFilter() {
        broadcast.put(BROADCAST, extraSubscriber, 1);
        return broadcast.remove(BROADCAST, extraSubscriber);
    }

    @Benchmark
    public Integer collidingFilters() {
        colliding.put(extraFilter, extraSubscriber, 1);
        return colliding.remove(extraFilter, extraSubscriber);
    }

    /** Returns {@code x/} and {@code blocks} blocks, {@code Aa} or {@code BB} by the bits of {@code bits}. */
    private static String collidingFilter(int bits, int blocks) {
        StringBuilder filter = new StringBuilder("x/");
        for (int block = 0; block < blocks; block++) {
            filter.append((bits >>> block & 1) == 0 ? "Aa" : "BB");
        }
        return filter.toString();
    }
}
