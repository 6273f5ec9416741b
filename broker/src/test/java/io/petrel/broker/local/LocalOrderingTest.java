package io.petrel.broker.local;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.RetryPolicy;
import io.petrel.api.SubscriptionOptions;
import io.petrel.broker.PetrelBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalOrderingTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final RetryPolicy QUICK_RETRIES =
            RetryPolicy.builder().maxAttempts(4).initialDelay(Duration.ofMillis(5)).noJitter().build();

    private PetrelBroker broker;
    private ExecutorService pool;

    @BeforeEach
    void startBroker() {
        broker = PetrelBroker.builder().port(0).build();
        broker.start();
        pool = Executors.newFixedThreadPool(4);
    }

    @AfterEach
    void closeBroker() throws InterruptedException {
        broker.close();
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS));
    }

    private void publish(String topic, int sequence) {
        broker.publish(Message.builder(topic).payload(Integer.toString(sequence)).qos(Qos.AT_LEAST_ONCE).build());
    }

    private static List<String> sequence(int count) {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            expected.add(Integer.toString(i));
        }
        return expected;
    }

    @Test
    void messagesKeepPublishOrder() {
        List<String> handled = new CopyOnWriteArrayList<>();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        broker.subscribe("line/+", m -> {
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            handled.add(m.payloadAsString());
            running.decrementAndGet();
        }, SubscriptionOptions.builder().executor(pool).build());

        for (int i = 0; i < 500; i++) {
            publish("line/1", i);
        }

        await().atMost(WAIT).until(() -> handled.size() == 500);
        assertEquals(sequence(500), handled);
        assertEquals(1, maxRunning.get(), "one message at a time by default");
    }

    @Test
    void retriedMessageHoldsBackLaterMessages() {
        List<String> handled = new CopyOnWriteArrayList<>();
        List<String> calls = new CopyOnWriteArrayList<>();
        AtomicInteger failuresLeft = new AtomicInteger(2);
        broker.subscribe("line/+", m -> {
            String payload = m.payloadAsString();
            calls.add(payload);
            if (payload.equals("2") && failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("conveyor jammed");
            }
            handled.add(payload);
        }, SubscriptionOptions.builder().executor(pool).retryPolicy(QUICK_RETRIES).build());

        for (int i = 0; i < 6; i++) {
            publish("line/1", i);
        }

        await().atMost(WAIT).until(() -> handled.size() == 6);
        assertEquals(sequence(6), handled);
        assertEquals(List.of("0", "1", "2", "2", "2", "3", "4", "5"), calls);
    }

    @Test
    void brokerPoolDeliversEveryMessageInPublishOrder() throws InterruptedException {
        int publishers = 2;
        int perPublisher = 50_000;
        int[] next = new int[publishers];
        AtomicInteger outOfOrder = new AtomicInteger();
        AtomicInteger received = new AtomicInteger();
        broker.subscribe("burst/+", m -> {
            // The handler runs one message at a time, so the plain array has one writer at a time.
            int publisher = m.payload().getInt(0);
            if (m.payload().getInt(4) != next[publisher]++) {
                outOfOrder.incrementAndGet();
            }
            received.incrementAndGet();
        }, SubscriptionOptions.builder().queueCapacity(publishers * perPublisher).build());

        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < publishers; p++) {
            int publisher = p;
            Thread thread = new Thread(() -> {
                for (int i = 0; i < perPublisher; i++) {
                    byte[] payload = java.nio.ByteBuffer.allocate(8).putInt(publisher).putInt(i).array();
                    broker.publish(Message.builder("burst/" + publisher).payload(payload).build());
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join(WAIT.toMillis());
        }

        await().atMost(WAIT).until(() -> received.get() == publishers * perPublisher);
        assertEquals(0, outOfOrder.get());
        await().atMost(WAIT).until(() -> broker.status().localSubscriptions().get(0).queued() == 0);
    }

    @Test
    void maxConcurrencyRunsHandlersInParallel() {
        CountDownLatch allRunning = new CountDownLatch(4);
        AtomicInteger completed = new AtomicInteger();
        broker.subscribe("line/+", m -> {
            allRunning.countDown();
            assertTrue(allRunning.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "handlers did not overlap");
            completed.incrementAndGet();
        }, SubscriptionOptions.builder().executor(pool).maxConcurrency(4).retryPolicy(RetryPolicy.none()).build());

        for (int i = 0; i < 4; i++) {
            publish("line/1", i);
        }

        await().atMost(WAIT).until(() -> completed.get() == 4);
        assertEquals(0, broker.status().localSubscriptions().get(0).failed());
    }

    @Test
    void maxConcurrencyBoundsHandlerTasks() {
        List<Runnable> submitted = new CopyOnWriteArrayList<>();
        List<String> handled = new CopyOnWriteArrayList<>();
        broker.subscribe("line/+", m -> handled.add(m.payloadAsString()),
                SubscriptionOptions.builder().executor(submitted::add).maxConcurrency(2).build());

        for (int i = 0; i < 10; i++) {
            publish("line/1", i);
        }

        assertEquals(2, submitted.size(), "one task per message in progress, at most maxConcurrency");
        for (Runnable task : List.copyOf(submitted)) {
            task.run();
        }
        assertEquals(10, handled.size());
        assertEquals(2, submitted.size(), "each task went on with the next queued message");
    }

    @Test
    void concurrentRetryDoesNotHoldBackOtherMessages() {
        List<String> handled = new CopyOnWriteArrayList<>();
        RetryPolicy slowRetry = RetryPolicy.builder()
                .maxAttempts(2)
                .initialDelay(Duration.ofSeconds(30))
                .maxDelay(Duration.ofSeconds(30))
                .noJitter()
                .build();
        broker.subscribe("line/+", m -> {
            if (m.payloadAsString().equals("0")) {
                throw new IllegalStateException("conveyor jammed");
            }
            handled.add(m.payloadAsString());
        }, SubscriptionOptions.builder().executor(pool).maxConcurrency(2).retryPolicy(slowRetry).build());

        for (int i = 0; i < 5; i++) {
            publish("line/1", i);
        }

        await().atMost(WAIT).until(() -> handled.size() == 4);
        assertEquals(Set.of("1", "2", "3", "4"), Set.copyOf(handled));
        assertEquals(1, broker.status().localSubscriptions().get(0).queued(), "message 0 waits for its retry");
    }

    @Test
    @EnabledForJreRange(min = JRE.JAVA_21)
    void virtualThreadExecutorRunsHandlerInOrder() throws Exception {
        Method factory = Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
        Method isVirtual = Thread.class.getMethod("isVirtual");
        ExecutorService virtualThreads = (ExecutorService) factory.invoke(null);
        try {
            List<String> handled = new CopyOnWriteArrayList<>();
            Set<Boolean> virtual = ConcurrentHashMap.newKeySet();
            AtomicInteger failuresLeft = new AtomicInteger(1);
            broker.subscribe("line/+", m -> {
                virtual.add((Boolean) isVirtual.invoke(Thread.currentThread()));
                if (m.payloadAsString().equals("5") && failuresLeft.getAndDecrement() > 0) {
                    throw new IllegalStateException("conveyor jammed");
                }
                handled.add(m.payloadAsString());
            }, SubscriptionOptions.builder().executor(virtualThreads).retryPolicy(QUICK_RETRIES).build());

            for (int i = 0; i < 50; i++) {
                publish("line/1", i);
            }

            await().atMost(WAIT).until(() -> handled.size() == 50);
            assertEquals(sequence(50), handled);
            assertEquals(Set.of(true), virtual);
        } finally {
            virtualThreads.shutdownNow();
        }
    }
}
