package io.petrel.broker.local;

import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterQuery;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.RetryPolicy;
import io.petrel.api.SubscriptionOptions;
import io.petrel.api.UnprocessableMessageException;
import io.petrel.broker.PetrelBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalRetryTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private PetrelBroker broker;

    @BeforeEach
    void startBroker() {
        broker = PetrelBroker.builder().port(0).build();
        broker.start();
    }

    @AfterEach
    void closeBroker() {
        broker.close();
    }

    private static RetryPolicy quickRetries(int attempts) {
        return RetryPolicy.builder().maxAttempts(attempts).initialDelay(Duration.ofMillis(1)).noJitter().build();
    }

    private static Message message(String topic, String payload) {
        return Message.builder(topic).payload(payload).qos(Qos.AT_LEAST_ONCE).build();
    }

    private double counter(String name) {
        return broker.meterRegistry().get(name).counter().count();
    }

    @Test
    void failingHandlerIsCalledMaxAttemptsTimes() {
        AtomicInteger calls = new AtomicInteger();
        broker.subscribe("sensor/+", m -> {
            calls.incrementAndGet();
            throw new IllegalStateException("sensor offline");
        }, SubscriptionOptions.builder().retryPolicy(quickRetries(4)).build());

        broker.publish(message("sensor/1", "21.5"));

        await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 1);
        assertEquals(4, calls.get());
        assertEquals(3.0, counter("petrel.local.retries"));
        assertEquals(4.0, counter("petrel.local.handler.errors"));
    }

    @Test
    void handlerSucceedingOnRetryIsDeliveredOnce() {
        AtomicInteger calls = new AtomicInteger();
        List<String> handled = new CopyOnWriteArrayList<>();
        broker.subscribe("sensor/+", m -> {
            if (calls.incrementAndGet() < 3) {
                throw new IllegalStateException("database busy");
            }
            handled.add(m.payloadAsString());
        }, SubscriptionOptions.builder().retryPolicy(quickRetries(5)).build());

        broker.publish(message("sensor/1", "21.5"));

        await().atMost(WAIT).until(() -> handled.size() == 1);
        assertEquals(List.of("21.5"), handled);
        assertEquals(2.0, counter("petrel.local.retries"));
        assertEquals(0, broker.deadLetters().count(DeadLetterQuery.all()));
        assertEquals(1, broker.status().localSubscriptions().get(0).delivered());
        assertEquals(2, broker.status().localSubscriptions().get(0).failed());
    }

    @Test
    void backoffWaitsAtLeastExponentialDelay() {
        List<Long> callNanos = new CopyOnWriteArrayList<>();
        RetryPolicy policy = RetryPolicy.builder()
                .maxAttempts(3)
                .initialDelay(Duration.ofMillis(40))
                .multiplier(2.0)
                .noJitter()
                .build();
        broker.subscribe("sensor/+", m -> {
            callNanos.add(System.nanoTime());
            throw new IllegalStateException("still failing");
        }, SubscriptionOptions.builder().retryPolicy(policy).build());

        broker.publish(message("sensor/1", "x"));

        await().atMost(WAIT).until(() -> callNanos.size() == 3);
        long firstGapMillis = TimeUnit.NANOSECONDS.toMillis(callNanos.get(1) - callNanos.get(0));
        long secondGapMillis = TimeUnit.NANOSECONDS.toMillis(callNanos.get(2) - callNanos.get(1));
        assertTrue(firstGapMillis >= 40, "first backoff was " + firstGapMillis + " ms");
        assertTrue(secondGapMillis >= 80, "second backoff was " + secondGapMillis + " ms");
    }

    @Test
    void unprocessableExceptionSkipsRetries() {
        AtomicInteger calls = new AtomicInteger();
        broker.subscribe("sensor/+", m -> {
            calls.incrementAndGet();
            throw new UnprocessableMessageException("payload is not a number: " + m.payloadAsString());
        }, SubscriptionOptions.builder().retryPolicy(quickRetries(5)).build());

        broker.publish(message("sensor/1", "warm"));

        await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 1);
        DeadLetter letter = broker.deadLetters().list(DeadLetterQuery.all(), 10).letters().get(0);
        assertEquals(1, calls.get());
        assertEquals(DeadLetter.Reason.UNPROCESSABLE, letter.reason());
        assertEquals(0.0, counter("petrel.local.retries"));
    }

    @Test
    void retryPolicyNoneDeadLettersOnFirstFailure() {
        AtomicInteger calls = new AtomicInteger();
        broker.subscribe("sensor/+", m -> {
            calls.incrementAndGet();
            throw new IllegalStateException("no");
        }, SubscriptionOptions.builder().retryPolicy(RetryPolicy.none()).build());

        broker.publish(message("sensor/1", "x"));

        await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 1);
        assertEquals(1, calls.get());
        assertEquals(DeadLetter.Reason.ATTEMPTS_EXHAUSTED,
                broker.deadLetters().list(DeadLetterQuery.all(), 1).letters().get(0).reason());
    }

    @Test
    void pendingRetryFreesSharedThread() throws Exception {
        ExecutorService singleThread = Executors.newSingleThreadExecutor();
        try {
            AtomicInteger failingCalls = new AtomicInteger();
            List<String> healthy = new CopyOnWriteArrayList<>();
            RetryPolicy slowRetry = RetryPolicy.builder()
                    .maxAttempts(2)
                    .initialDelay(Duration.ofSeconds(30))
                    .maxDelay(Duration.ofSeconds(30))
                    .noJitter()
                    .build();
            broker.subscribe("orders/new", m -> {
                failingCalls.incrementAndGet();
                throw new IllegalStateException("payment service down");
            }, SubscriptionOptions.builder().executor(singleThread).retryPolicy(slowRetry).build());
            broker.subscribe("orders/+", m -> healthy.add(m.payloadAsString()),
                    SubscriptionOptions.builder().executor(singleThread).build());

            broker.publish(message("orders/new", "order-1"));
            await().atMost(WAIT).until(() -> failingCalls.get() == 1);
            broker.publish(message("orders/paid", "order-0"));

            await().atMost(WAIT).until(() -> healthy.size() == 2);
            assertEquals(List.of("order-1", "order-0"), healthy);
            assertEquals(1, failingCalls.get());
        } finally {
            singleThread.shutdownNow();
            assertTrue(singleThread.awaitTermination(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void throwingHandlerDoesNotBreakBroker() {
        List<String> received = new CopyOnWriteArrayList<>();
        broker.subscribe("alarm/#", m -> {
            throw new AssertionError("handler bug");
        }, SubscriptionOptions.builder().retryPolicy(RetryPolicy.none()).build());
        broker.subscribe("alarm/#", m -> {
            throw new StackOverflowError("runaway recursion");
        }, SubscriptionOptions.builder().retryPolicy(RetryPolicy.none()).build());
        broker.subscribe("alarm/#", m -> received.add(m.payloadAsString()));

        for (int i = 0; i < 20; i++) {
            broker.publish(message("alarm/door", "open-" + i)).toCompletableFuture().join();
        }

        await().atMost(WAIT).until(() -> received.size() == 20);
        await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 40);
        assertEquals(40.0, counter("petrel.local.handler.errors"));
        assertTrue(broker.status().running());
        List<String> late = new CopyOnWriteArrayList<>();
        broker.subscribe("alarm/window", m -> late.add(m.payloadAsString()));
        broker.publish(message("alarm/window", "closed"));
        await().atMost(WAIT).until(() -> late.size() == 1);
    }

    @Test
    void closedSubscriptionDropsPendingRetry() {
        AtomicInteger calls = new AtomicInteger();
        RetryPolicy slowRetry = RetryPolicy.builder()
                .maxAttempts(3)
                .initialDelay(Duration.ofMillis(200))
                .noJitter()
                .build();
        var subscription = broker.subscribe("sensor/+", m -> {
            calls.incrementAndGet();
            throw new IllegalStateException("fails");
        }, SubscriptionOptions.builder().retryPolicy(slowRetry).build());

        broker.publish(message("sensor/1", "x"));
        await().atMost(WAIT).until(() -> calls.get() == 1);
        subscription.close();

        await().atMost(WAIT).until(() -> broker.meterRegistry().get("petrel.messages.dropped")
                .tag("reason", "subscription_closed").counter().count() == 1.0);
        assertEquals(1, calls.get());
        assertEquals(0, broker.deadLetters().count(DeadLetterQuery.all()));
    }

    @Test
    void retryThreadStopsWhenBrokerCloses() {
        RetryPolicy slowRetry = RetryPolicy.builder()
                .maxAttempts(2)
                .initialDelay(Duration.ofSeconds(30))
                .maxDelay(Duration.ofSeconds(30))
                .build();
        broker.subscribe("sensor/+", m -> {
            throw new IllegalStateException("fails");
        }, SubscriptionOptions.builder().retryPolicy(slowRetry).build());
        broker.publish(message("sensor/1", "x"));
        await().atMost(WAIT).until(() -> retryThreads().size() == 1);
        assertTrue(retryThreads().get(0).isDaemon());

        broker.close();

        await().atMost(WAIT).until(() -> retryThreads().isEmpty());
    }

    private static List<Thread> retryThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("petrel-retry") && thread.isAlive())
                .toList();
    }
}
