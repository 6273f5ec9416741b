package io.petrel.benchmarks;

import io.petrel.api.Message;
import io.petrel.broker.retained.RetainedIndex;
import io.petrel.broker.retained.RetainedMessages;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
 * Finding the retained messages of a new subscription: every device of an {@link IotFleet} retained
 * its last value of each metric, {@code retainedTopics} topics in all, and a subscriber's filter is
 * looked up in the retained index. The filter shapes, with the number of messages each one matches:
 * <ul>
 *   <li>{@code exact} {@code site/{s}/device/{d}/{metric}}: 1,</li>
 *   <li>{@code siteMetric} {@code site/{s}/device/+/{metric}}: 100,</li>
 *   <li>{@code device} {@code +/{s}/device/{d}/#}: 5,</li>
 *   <li>{@code site} {@code site/{s}/#}: 500,</li>
 *   <li>{@code fleetMetric} {@code site/+/device/+/{metric}}: {@code retainedTopics / 5}.</li>
 * </ul>
 * One operation looks up one filter and counts its messages. {@code index} walks
 * {@link RetainedIndex} alone; {@code withExpiry} goes through {@link RetainedMessages}, which also
 * looks up each message's arrival time for the MQTT 5.0 expiry check, as the broker does.
 *
 * <p>Run it with
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks -am
 * java -jar benchmarks/target/benchmarks.jar RetainedLookupBenchmark -f 1 -wi 3 -i 5
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RetainedLookupBenchmark {

    private static final int FILTER_COUNT = 1 << 12;
    private static final long SEED = 0x5EED_2E7AL;

    @Param({"10000", "100000"})
    public int retainedTopics;

    @Param({"exact", "siteMetric", "device", "site", "fleetMetric"})
    public String filterShape;

    private RetainedIndex index;
    private RetainedMessages messages;
    private String[] filters;

    @Setup(Level.Trial)
    public void fillIndex() {
        int sites = Math.max(1, retainedTopics / (IotFleet.DEVICES_PER_SITE * IotFleet.METRIC_COUNT));
        index = new RetainedIndex();
        messages = new RetainedMessages();
        long now = System.nanoTime();
        byte[] payload = new byte[16];
        for (int site = 0; site < sites; site++) {
            for (int device = 0; device < IotFleet.DEVICES_PER_SITE; device++) {
                for (int metric = 0; metric < IotFleet.METRIC_COUNT; metric++) {
                    Message message = Message.builder(IotFleet.topic(site, device, metric))
                            .payload(payload).retain(true).build();
                    index.put(message);
                    messages.put(message, now);
                }
            }
        }
        SplittableRandom random = new SplittableRandom(SEED);
        filters = new String[FILTER_COUNT];
        for (int i = 0; i < FILTER_COUNT; i++) {
            int site = random.nextInt(sites);
            int device = random.nextInt(IotFleet.DEVICES_PER_SITE);
            String metric = IotFleet.metric(random.nextInt(IotFleet.METRIC_COUNT));
            filters[i] = switch (filterShape) {
                case "exact" -> "site/" + site + "/device/" + device + "/" + metric;
                case "siteMetric" -> "site/" + site + "/device/+/" + metric;
                case "device" -> "+/" + site + "/device/" + device + "/#";
                case "site" -> "site/" + site + "/#";
                case "fleetMetric" -> "site/+/device/+/" + metric;
                default -> throw new IllegalArgumentException("invalid filterShape '" + filterShape
                        + "': expected exact, siteMetric, device, site or fleetMetric");
            };
        }
    }

    @Benchmark
    public int index(Cursor cursor) {
        cursor.found = 0;
        index.match(cursor.nextFilter(filters), cursor);
        return cursor.found;
    }

    @Benchmark
    public int withExpiry(Cursor cursor) {
        cursor.found = 0;
        messages.match(cursor.nextFilter(filters), System.nanoTime(), cursor.entryCounter);
        return cursor.found;
    }

    /** Position in the filter array and the visitors of one benchmark thread. */
    @State(Scope.Thread)
    public static class Cursor implements Consumer<Message> {
        int next;
        int found;
        final Consumer<RetainedMessages.Entry> entryCounter = entry -> found++;

        String nextFilter(String[] filters) {
            return filters[next++ & (FILTER_COUNT - 1)];
        }

        @Override
        public void accept(Message message) {
            found++;
        }
    }
}
