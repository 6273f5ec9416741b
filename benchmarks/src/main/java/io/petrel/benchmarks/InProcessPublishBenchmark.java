package io.petrel.benchmarks;

import io.petrel.api.Message;
import io.petrel.api.MessageHandler;
import io.petrel.api.Qos;
import io.petrel.api.SubscriptionOptions;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.PetrelBroker;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * In-process publishing through {@link PetrelBroker#publish} to handlers registered with
 * {@link PetrelBroker#subscribe}, with no network hop: routing, dispatch to the subscription queue
 * and the handler call. The broker is started with its listener on 127.0.0.1 and an ephemeral port,
 * but no client connects.
 *
 * <ul>
 *   <li>{@code oneToOne}: one publisher thread, one subscription on its topic.</li>
 *   <li>{@code manyToOne}: four publisher threads, each on its own topic, one wildcard subscription.</li>
 *   <li>{@code oneToMany}: one publisher thread, {@value #FAN_OUT} subscriptions on its topic; the
 *       figure counts deliveries, {@value #FAN_OUT} per message.</li>
 * </ul>
 * Each invocation publishes {@value #BATCH} QoS 0 messages of 8 bytes, built in the setup, and waits
 * until every handler has received them, so the figure is the sustained rate of complete deliveries
 * rather than the rate of filling queues. Every handler checks that each publisher's messages arrive
 * in publishing order, and the trial fails if one does not.
 *
 * <p>{@code executor=pool} runs handlers on the broker's shared handler pool (one thread per
 * processor), so publisher and handlers run on different threads; {@code executor=caller} passes an
 * executor that runs the handler on the publishing thread, which measures routing and dispatch alone.
 *
 * <p>Run it with
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks -am
 * java -jar benchmarks/target/benchmarks.jar InProcessPublishBenchmark -f 1 -wi 3 -i 5
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class InProcessPublishBenchmark {

    static final int BATCH = 1000;
    static final int FAN_OUT = 100;
    private static final int MAX_PUBLISHERS = 64;
    private static final long WAIT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

    @Param({"pool", "caller"})
    public String executor;

    private PetrelBroker broker;
    private Receiver direct;
    private Receiver merged;
    private Receiver[] fanOut;
    private final AtomicInteger publisherIds = new AtomicInteger();

    @Setup(Level.Trial)
    public void startBroker() {
        broker = PetrelBroker.builder()
                .config(BrokerConfig.builder().host("127.0.0.1").port(0).ioThreads(1).build())
                .build();
        broker.start();
        // A handler counts a message before its queue slot is released, and a drain frees slots in
        // groups, so a publisher thread may start its next batch while a few slots of the last batch
        // are still taken. Room for two batches per thread keeps every QoS 0 message from being
        // dropped for a full queue.
        SubscriptionOptions.Builder options = SubscriptionOptions.builder().maxQos(Qos.AT_MOST_ONCE)
                .queueCapacity(2 * BATCH * MAX_PUBLISHERS);
        if (executor.equals("caller")) {
            options.executor(Runnable::run);
        } else if (!executor.equals("pool")) {
            throw new IllegalArgumentException("invalid executor '" + executor + "': expected pool or caller");
        }
        direct = subscribe("bench/direct", options.build());
        merged = subscribe("bench/in/+", options.build());
        fanOut = new Receiver[FAN_OUT];
        for (int i = 0; i < FAN_OUT; i++) {
            fanOut[i] = subscribe("bench/fan", options.build());
        }
    }

    @TearDown(Level.Trial)
    public void closeBroker() {
        broker.close();
        long outOfOrder = direct.outOfOrder + merged.outOfOrder;
        for (Receiver receiver : fanOut) {
            outOfOrder += receiver.outOfOrder;
        }
        if (outOfOrder != 0) {
            throw new IllegalStateException(outOfOrder + " in-process deliveries arrived out of publishing order");
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void oneToOne(Publisher publisher) {
        publishBatch(publisher.directBatch);
        publisher.sent += BATCH;
        direct.await(publisher.id, publisher.sent);
    }

    @Benchmark
    @Threads(4)
    @OperationsPerInvocation(BATCH)
    public void manyToOne(Publisher publisher) {
        publishBatch(publisher.mergedBatch);
        publisher.sent += BATCH;
        merged.await(publisher.id, publisher.sent);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH * FAN_OUT)
    public void oneToMany(Publisher publisher) {
        publishBatch(publisher.fanOutBatch);
        publisher.sent += BATCH;
        for (Receiver receiver : fanOut) {
            receiver.await(publisher.id, publisher.sent);
        }
    }

    private void publishBatch(Message[] batch) {
        for (Message message : batch) {
            broker.publish(message);
        }
    }

    private Receiver subscribe(String filter, SubscriptionOptions options) {
        Receiver receiver = new Receiver();
        broker.subscribe(filter, receiver, options);
        return receiver;
    }

    /** One publishing thread: its id and its pre-built batches, whose payloads carry id and sequence. */
    @State(Scope.Thread)
    public static class Publisher {
        int id;
        long sent;
        Message[] directBatch;
        Message[] mergedBatch;
        Message[] fanOutBatch;

        @Setup(Level.Trial)
        public void buildBatches(InProcessPublishBenchmark benchmark) {
            id = benchmark.publisherIds.getAndIncrement();
            if (id >= MAX_PUBLISHERS) {
                throw new IllegalStateException("at most " + MAX_PUBLISHERS + " publisher threads are supported");
            }
            directBatch = batch("bench/direct");
            mergedBatch = batch("bench/in/" + id);
            fanOutBatch = batch("bench/fan");
        }

        private Message[] batch(String topic) {
            Message[] batch = new Message[BATCH];
            for (int sequence = 0; sequence < BATCH; sequence++) {
                byte[] payload = ByteBuffer.allocate(8).putInt(id).putInt(sequence).array();
                batch[sequence] = Message.builder(topic).payload(payload).build();
            }
            return batch;
        }
    }

    /**
     * Handler that counts the messages of each publisher and checks their order. The broker calls it
     * one message at a time, so each counter has a single writer, and publisher threads read it.
     */
    static final class Receiver implements MessageHandler {
        private static final int PADDING = 16; // longs per counter, so counters sit on separate cache lines

        private final AtomicLongArray received = new AtomicLongArray(MAX_PUBLISHERS * PADDING);
        volatile long outOfOrder;

        @Override
        public void onMessage(Message message) {
            ByteBuffer payload = message.payload();
            int slot = payload.getInt(0) * PADDING;
            long count = received.get(slot);
            if (count % BATCH != payload.getInt(4)) {
                outOfOrder++; // the broker calls a handler one message at a time, so this is the only writer
            }
            received.lazySet(slot, count + 1);
        }

        void await(int publisher, long target) {
            long deadline = System.nanoTime() + WAIT_TIMEOUT_NANOS;
            while (received.get(publisher * PADDING) < target) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("timed out after 30 s waiting for in-process deliveries: "
                            + received.get(publisher * PADDING) + " of " + target + " from publisher " + publisher);
                }
                Thread.yield();
            }
        }
    }
}
