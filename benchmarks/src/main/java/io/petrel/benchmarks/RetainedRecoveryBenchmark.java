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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Start of a broker whose retained journal contains {@code retainedMessages} retained messages, one per
 * topic of an {@link IotFleet} ({@code site/{s}/device/{d}/{metric}}, 64-byte payloads, QoS 1): the
 * time from opening {@link ChronicleRetainedStore} until {@link PetrelBroker#start()} returns, which
 * reads the journal and loads every message into the retained index before it binds its listener.
 * One operation opens the store, starts the broker on 127.0.0.1 with an ephemeral port and closes
 * both; the start and close of a broker without retained messages take about 2 ms (see
 * {@link BrokerStartBenchmark}).
 *
 * <p>The setup writes the journal once per trial into a new directory under {@code java.io.tmpdir},
 * which is deleted after the trial; writing 1,000,000 messages takes several seconds. Run it with
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks -am
 * java -jar benchmarks/target/benchmarks.jar RetainedRecoveryBenchmark -f 1 -wi 2 -i 3
 * </pre>
 * Garbage collection took about half of the time in a profile of the start, while the heap grew to
 * hold the messages, so the figure depends on the heap settings. Pass them with
 * {@code -jvmArgsPrepend}, such as {@code -jvmArgsPrepend -Xms2g}, because {@code -jvmArgsAppend} on
 * the command line replaces the Chronicle options of the {@link Fork} annotation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED", "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"})
public class RetainedRecoveryBenchmark {

    private static final int PAYLOAD_BYTES = 64;
    private static final int WAIT_EVERY = 4_096;
    private static final long WAIT_SECONDS = 60;

    @Param({"1000000"})
    public int retainedMessages;

    private Path dataDirectory;

    @Setup(Level.Trial)
    public void writeJournal() {
        int perSite = IotFleet.DEVICES_PER_SITE * IotFleet.METRIC_COUNT;
        if (retainedMessages < perSite || retainedMessages % perSite != 0) {
            throw new IllegalArgumentException("invalid retainedMessages " + retainedMessages
                    + ": expected a positive multiple of " + perSite);
        }
        dataDirectory = PersistenceFiles.createDataDirectory("petrel-retained-recovery");
        long arrival = System.currentTimeMillis();
        int written = 0;
        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory)) {
            CompletableFuture<Void> last = null;
            for (int site = 0; site < retainedMessages / perSite; site++) {
                for (int device = 0; device < IotFleet.DEVICES_PER_SITE; device++) {
                    for (int metric = 0; metric < IotFleet.METRIC_COUNT; metric++) {
                        Message message = Message.builder(IotFleet.topic(site, device, metric))
                                .payload(PersistenceFiles.payload(PAYLOAD_BYTES, written)).qos(Qos.AT_LEAST_ONCE)
                                .retain(true).build();
                        last = store.set(message, arrival).toCompletableFuture();
                        written++;
                        if (written % WAIT_EVERY == 0) {
                            last.orTimeout(WAIT_SECONDS, TimeUnit.SECONDS).join();
                        }
                    }
                }
            }
            last.orTimeout(WAIT_SECONDS, TimeUnit.SECONDS).join();
        }
    }

    @TearDown(Level.Trial)
    public void deleteJournal() {
        PersistenceFiles.delete(dataDirectory);
    }

    @Benchmark
    public long openAndStart() {
        ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory);
        try (PetrelBroker broker = PetrelBroker.builder().host("127.0.0.1").port(0).retainedStore(store).build()) {
            broker.start();
            long loaded = broker.status().retainedMessages();
            if (loaded != retainedMessages) {
                throw new IllegalStateException("loaded " + loaded + " retained messages, expected "
                        + retainedMessages);
            }
            return loaded;
        }
    }
}
