package io.petrel.benchmarks;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.broker.PetrelBroker;
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
 * QoS 1 retained publishing through {@link PetrelBroker#publish} with no subscriber: authorization,
 * the retained index and the retained store, whose stage completes the publish. Devices of an
 * {@link IotFleet} overwrite the retained value of their metrics, {@value #TOPICS} topics with
 * 64-byte payloads. {@code store=memory} uses the broker's default store, which keeps nothing;
 * {@code store=chronicle} passes a {@link ChronicleRetainedStore}, so each publish completes once its
 * record is in the journal, and the journal is compacted while the benchmark runs.
 *
 * <p>Each invocation publishes {@value #BATCH} messages and then waits until every publish has
 * completed, as an MQTT client with a receive maximum of {@value #BATCH} would. The journal lives in
 * a new directory under {@code java.io.tmpdir}, which is deleted after the trial. Run it with
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks -am
 * java -jar benchmarks/target/benchmarks.jar RetainedPublishBenchmark -f 1 -wi 2 -i 3
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
public class RetainedPublishBenchmark {

    static final int BATCH = 256;
    static final int TOPICS = 10_000;
    private static final int PAYLOAD_BYTES = 64;
    private static final long WAIT_SECONDS = 30;

    @Param({"memory", "chronicle"})
    public String store;

    private Path dataDirectory;
    private PetrelBroker broker;
    private Message[] messages;
    private final CompletableFuture<?>[] pending = new CompletableFuture<?>[BATCH];
    private int next;

    @Setup(Level.Trial)
    public void startBroker() {
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
        PetrelBroker.Builder builder = PetrelBroker.builder().host("127.0.0.1").port(0);
        if (store.equals("chronicle")) {
            dataDirectory = PersistenceFiles.createDataDirectory("petrel-retained-publish");
            builder.retainedStore(ChronicleRetainedStore.open(dataDirectory));
        } else if (!store.equals("memory")) {
            throw new IllegalArgumentException("invalid store '" + store + "': expected memory or chronicle");
        }
        broker = builder.build();
        broker.start();
    }

    @TearDown(Level.Trial)
    public void closeBroker() {
        try {
            broker.close();
        } finally {
            PersistenceFiles.delete(dataDirectory);
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void publishRetained() {
        for (int i = 0; i < BATCH; i++) {
            pending[i] = broker.publish(messages[next]).toCompletableFuture();
            next = next + 1 == messages.length ? 0 : next + 1;
        }
        CompletableFuture.allOf(pending).orTimeout(WAIT_SECONDS, TimeUnit.SECONDS).join();
    }
}
