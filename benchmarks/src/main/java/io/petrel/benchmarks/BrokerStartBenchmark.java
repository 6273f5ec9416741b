package io.petrel.benchmarks;

import io.petrel.broker.PetrelBroker;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Start and close of an embedded broker with one TCP listener on 127.0.0.1 and an ephemeral port:
 * what a test suite pays per broker it starts. One operation builds, starts and closes a broker, so
 * it includes creating and stopping the event-loop threads and the handler pool.
 *
 * <p>Run it warm (average over many starts in one JVM) with
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks -am
 * java -jar benchmarks/target/benchmarks.jar BrokerStartBenchmark -f 1 -wi 3 -i 5
 * </pre>
 * and cold (the first start in a fresh JVM, class loading included) with
 * {@code java -jar benchmarks/target/benchmarks.jar BrokerStartBenchmark -bm ss -wi 0 -i 1 -f 10}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class BrokerStartBenchmark {

    @Benchmark
    public int startAndClose() {
        try (PetrelBroker broker = PetrelBroker.builder().host("127.0.0.1").port(0).build()) {
            broker.start();
            return broker.port();
        }
    }
}
