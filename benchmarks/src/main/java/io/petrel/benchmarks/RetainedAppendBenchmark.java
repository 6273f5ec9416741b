package io.petrel.benchmarks;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.persistence.chronicle.ChronicleRetainedStore;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Appending retained set records through {@link ChronicleRetainedStore}: devices of an
 * {@link IotFleet} overwrite the retained value of their metrics, {@value #TOPICS} topics with
 * 64-byte payloads, so most records soon are dead and the store compacts its journal while the
 * benchmark runs, as it does in service.
 *
 * <p>Each invocation hands {@value #BATCH} records to the store and waits for the completion stage
 * of every {@code window}-th record and of the last one. Records are written in order, so that
 * stage completes after the records before it. {@code window=1} waits for each record before the
 * next, which measures the round trip through the writer thread; {@code window=256} keeps up to
 * 256 records in flight, which measures the writer thread's sustained rate.
 *
 * <p>The journal lives in a new directory under {@code java.io.tmpdir}, which is deleted after the
 * trial. Run it with
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks -am
 * java -jar benchmarks/target/benchmarks.jar RetainedAppendBenchmark -f 1 -wi 2 -i 3
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED", "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"})
public class RetainedAppendBenchmark {

    static final int BATCH = 256;
    static final int TOPICS = 10_000;
    private static final int PAYLOAD_BYTES = 64;
    private static final long WAIT_SECONDS = 30;

    @Param({"1", "256"})
    public int window;

    private Path dataDirectory;
    private ChronicleRetainedStore store;
    private Message[] messages;
    private int next;

    @Setup(Level.Trial)
    public void openStore() {
        if (window < 1 || window > BATCH) {
            throw new IllegalArgumentException("invalid window " + window + ": expected 1 to " + BATCH);
        }
        int sites = TOPICS / (IotFleet.DEVICES_PER_SITE * IotFleet.METRIC_COUNT);
        messages = new Message[TOPICS];
        int topic = 0;
        for (int site = 0; site < sites; site++) {
            for (int device = 0; device < IotFleet.DEVICES_PER_SITE; device++) {
                for (int metric = 0; metric < IotFleet.METRIC_COUNT; metric++) {
                    messages[topic] = Message.builder(IotFleet.topic(site, device, metric))
                            .payload(PersistenceFiles.payload(PAYLOAD_BYTES, topic)).qos(Qos.AT_LEAST_ONCE)
                            .retain(true).build();
                    topic++;
                }
            }
        }
        dataDirectory = PersistenceFiles.createDataDirectory("petrel-retained-append");
        store = ChronicleRetainedStore.open(dataDirectory);
    }

    @TearDown(Level.Trial)
    public void closeStore() {
        try {
            store.close();
        } finally {
            PersistenceFiles.delete(dataDirectory);
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void set() {
        long now = System.currentTimeMillis();
        CompletableFuture<Void> last = null;
        for (int i = 1; i <= BATCH; i++) {
            last = store.set(messages[next], now).toCompletableFuture();
            next = next + 1 == messages.length ? 0 : next + 1;
            if (i % window == 0) {
                last.orTimeout(WAIT_SECONDS, TimeUnit.SECONDS).join();
            }
        }
        last.orTimeout(WAIT_SECONDS, TimeUnit.SECONDS).join();
    }
}
