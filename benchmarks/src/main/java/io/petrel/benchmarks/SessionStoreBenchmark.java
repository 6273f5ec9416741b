package io.petrel.benchmarks;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.store.StoredSession;
import io.petrel.persistence.chronicle.ChronicleSessionStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The Chronicle session journal under the load of offline persistent sessions that are sent QoS 1
 * messages: {@value #CLIENTS} sessions, messages with a 64-byte payload on topics like
 * {@code site/3/device/17/temperature}, in a journal in a temporary directory.
 *
 * <ul>
 *   <li>{@code queueAndRemove}: one operation hands over a queued record for one session and the
 *       removed record of the message queued {@code backlog} operations earlier, as when a client
 *       acknowledges with a delay; the session store writes both records on its writer thread. At
 *       most {@value #IN_FLIGHT} operations wait for their records at a time, so the score is the
 *       writer's sustained rate. Compaction runs as in the broker: whenever at least 10,000 records
 *       are in the journal and more than half of them are removed messages.</li>
 *   <li>{@code openAndLoad}: one operation opens a journal that contains {@code queuedMessages} queued
 *       messages and no removed ones, reads every session with {@code load()}, and closes it: the
 *       part of a broker start that the session journal costs.</li>
 * </ul>
 *
 * <p>Run it with
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks -am
 * java -jar benchmarks/target/benchmarks.jar SessionStoreBenchmark -f 1 -wi 2 -i 3
 * </pre>
 * The forked JVM gets the options Chronicle Queue needs from {@link Fork#jvmArgsAppend}. Journals
 * are written under {@code java.io.tmpdir}, so the disk behind it is measured as well.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {
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
public class SessionStoreBenchmark {

    static final int CLIENTS = 100;
    static final int IN_FLIGHT = 4_096;
    private static final int PAYLOAD_BYTES = 64;
    private static final String[] METRICS = {"temperature", "humidity", "pressure", "battery"};

    /** An open store with {@value #CLIENTS} stored sessions, appended to by {@code queueAndRemove}. */
    @State(Scope.Benchmark)
    public static class Appending {

        @Param({"1", "1000"})
        public int backlog;

        private Path directory;
        private ChronicleSessionStore store;
        private Message[] messages;
        private CompletableFuture<?>[] inFlight;
        private long nextMessageId = 1;

        @Setup(Level.Trial)
        public void open() throws IOException {
            directory = Files.createTempDirectory("petrel-session-bench");
            store = ChronicleSessionStore.open(directory);
            storeSessions(store);
            messages = messages(1_024);
            inFlight = new CompletableFuture<?>[IN_FLIGHT];
        }

        @TearDown(Level.Trial)
        public void close() {
            for (CompletableFuture<?> write : inFlight) {
                if (write != null) {
                    write.join();
                }
            }
            store.close();
            deleteRecursively(directory);
        }
    }

    /** A closed journal with {@code queuedMessages} queued messages, read by {@code openAndLoad}. */
    @State(Scope.Benchmark)
    public static class Loading {

        @Param({"10000", "100000"})
        public int queuedMessages;

        private Path directory;

        @Setup(Level.Trial)
        public void write() throws IOException {
            directory = Files.createTempDirectory("petrel-session-bench");
            Message[] messages = messages(1_024);
            try (ChronicleSessionStore store = ChronicleSessionStore.open(directory)) {
                storeSessions(store);
                CompletableFuture<?>[] inFlight = new CompletableFuture<?>[IN_FLIGHT];
                for (int id = 1; id <= queuedMessages; id++) {
                    int slot = id % IN_FLIGHT;
                    if (inFlight[slot] != null) {
                        inFlight[slot].join();
                    }
                    inFlight[slot] = store.messageQueued(clientId(id), id, messages[id % messages.length], id)
                            .toCompletableFuture();
                }
                for (CompletableFuture<?> write : inFlight) {
                    if (write != null) {
                        write.join();
                    }
                }
            }
        }

        @TearDown(Level.Trial)
        public void delete() {
            deleteRecursively(directory);
        }
    }

    @Benchmark
    public void queueAndRemove(Appending state, Blackhole blackhole) {
        long id = state.nextMessageId++;
        int slot = (int) (id % IN_FLIGHT);
        CompletableFuture<?> previous = state.inFlight[slot];
        if (previous != null) {
            blackhole.consume(previous.join());
        }
        state.store.messageQueued(clientId(id), id, state.messages[(int) (id % state.messages.length)], id);
        long acknowledged = id - state.backlog;
        CompletableFuture<Void> removed = acknowledged > 0
                ? state.store.messageRemoved(clientId(acknowledged), acknowledged).toCompletableFuture()
                : CompletableFuture.completedFuture(null);
        state.inFlight[slot] = removed;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int openAndLoad(Loading state) {
        try (ChronicleSessionStore store = ChronicleSessionStore.open(state.directory)) {
            List<StoredSession> sessions = store.load();
            int messages = 0;
            for (StoredSession session : sessions) {
                messages += session.messages().size();
            }
            return messages;
        }
    }

    static void storeSessions(ChronicleSessionStore store) {
        for (int client = 0; client < CLIENTS; client++) {
            store.sessionStored("device-" + client, 86_400, System.currentTimeMillis()).toCompletableFuture().join();
        }
    }

    static String clientId(long messageId) {
        return "device-" + messageId % CLIENTS;
    }

    /** Builds {@code count} QoS 1 messages with {@value #PAYLOAD_BYTES}-byte payloads on device topics. */
    static Message[] messages(int count) {
        Message[] messages = new Message[count];
        for (int i = 0; i < count; i++) {
            byte[] payload = new byte[PAYLOAD_BYTES];
            for (int b = 0; b < PAYLOAD_BYTES; b++) {
                payload[b] = (byte) (i + b);
            }
            String topic = "site/" + i % 10 + "/device/" + i % 100 + "/" + METRICS[i % METRICS.length];
            messages[i] = Message.builder(topic).payload(payload).qos(Qos.AT_LEAST_ONCE).build();
        }
        return messages;
    }

    static void deleteRecursively(Path directory) {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the benchmark journal " + directory, e);
        }
    }
}
