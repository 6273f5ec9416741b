package io.petrel.benchmarks;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.store.StoreOptions;
import io.petrel.persistence.chronicle.ChronicleRetainedStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * Cost of {@code persistence.sync}: retained-message writes to a Chronicle journal in a temporary
 * directory with {@code none} and {@code batch}. {@code oneAtATime} waits for each write, so each
 * write is a batch of one and, with {@code batch}, pays one {@code msync}. {@code burst} hands over
 * {@value #BURST} writes and then waits for all of them, so the writer thread fills its batches.
 * Both report the time per write. The journal lives under {@code java.io.tmpdir}, so set that to a
 * directory on the disk to measure.
 *
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks -am
 * java -jar benchmarks/target/benchmarks.jar RetainedStoreSyncBenchmark -f 1 -wi 2 -w 2s -i 3 -r 3s
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(jvmArgsAppend = {
        "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports", "jdk.unsupported/sun.misc=ALL-UNNAMED",
        "--add-exports", "jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
        "--add-opens", "jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-opens", "java.base/java.io=ALL-UNNAMED",
        "--add-opens", "java.base/java.util=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"})
public class RetainedStoreSyncBenchmark {

    static final int BURST = 256;
    private static final int TOPICS = 10_000;
    private static final int PAYLOAD_BYTES = 100;

    @Param({"NONE", "BATCH"})
    public String sync;

    private Path dataDirectory;
    private ChronicleRetainedStore store;
    private Message[] messages;
    private int next;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dataDirectory = Files.createTempDirectory("petrel-sync-benchmark");
        StoreOptions options = StoreOptions.builder().sync(StoreOptions.Sync.valueOf(sync)).build();
        store = ChronicleRetainedStore.open(dataDirectory, options);
        messages = new Message[TOPICS];
        byte[] payload = new byte[PAYLOAD_BYTES];
        for (int i = 0; i < TOPICS; i++) {
            messages[i] = Message.builder("sensors/" + i + "/temperature").payload(payload).qos(Qos.AT_LEAST_ONCE)
                    .retain(true).build();
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        store.close();
        try (Stream<Path> files = Files.walk(dataDirectory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    @Benchmark
    public Void oneAtATime() {
        return store.set(nextMessage(), System.currentTimeMillis()).toCompletableFuture().join();
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public Void burst() {
        CompletableFuture<?>[] writes = new CompletableFuture<?>[BURST];
        long now = System.currentTimeMillis();
        for (int i = 0; i < BURST; i++) {
            writes[i] = store.set(nextMessage(), now).toCompletableFuture();
        }
        return CompletableFuture.allOf(writes).join();
    }

    private Message nextMessage() {
        Message message = messages[next];
        next = (next + 1) % TOPICS;
        return message;
    }
}
