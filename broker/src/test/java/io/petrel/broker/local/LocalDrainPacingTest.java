package io.petrel.broker.local;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.SubscriptionOptions;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.routing.Delivery;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LocalDrainPacingTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int QUEUED = 1_000;
    private static final Delivery AT_MOST_ONCE = Delivery.of(Qos.AT_MOST_ONCE, false);

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService pool = Executors.newSingleThreadExecutor();
    private final AtomicInteger submitted = new AtomicInteger();
    private final List<String> handled = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopThreads() {
        pool.shutdownNow();
        scheduler.shutdownNow();
    }

    @Test
    void lingeringDrainTakesNextMessageWithoutNewTask() throws InterruptedException {
        LocalSubscription subscription = subscribe(TimeUnit.SECONDS.toNanos(30));

        deliverTwoMessages(subscription);

        assertEquals(1, submitted.get(), "drain tasks submitted");
        subscription.close();
        pool.shutdown();
        // Closing notifies the waiting drain, so its task ends long before the 30 s linger.
        assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS), "drain task ended after close");
    }

    @Test
    void drainWithoutLingerStopsWhenQueueIsEmpty() {
        LocalSubscription subscription = subscribe(0);

        deliverTwoMessages(subscription);

        assertEquals(2, submitted.get(), "drain tasks submitted");
        subscription.close();
    }

    @Test
    void drainLingersWithWaitingTasks() {
        LocalSubscription subscription = subscribe(new DrainPacing(TimeUnit.SECONDS.toNanos(30), () -> true),
                pool::execute);

        deliverTwoMessages(subscription);

        assertEquals(1, submitted.get(), "drain tasks submitted");
        subscription.close();
    }

    @Test
    void drainKeepsThreadWithoutWaitingTasks() {
        List<Runnable> tasks = new ArrayList<>();
        LocalSubscription subscription = subscribe(new DrainPacing(0, () -> false), tasks::add);

        runQueuedDrain(subscription, tasks);

        assertEquals(1, submitted.get(), "drain tasks submitted");
        subscription.close();
    }

    @Test
    void drainResubmitsAfterBudgetWithWaitingTasks() {
        List<Runnable> tasks = new ArrayList<>();
        LocalSubscription subscription = subscribe(new DrainPacing(0, () -> true), tasks::add);

        runQueuedDrain(subscription, tasks);

        // 1,000 messages at 256 handler calls per task: the first task and three resubmissions.
        assertEquals(4, submitted.get(), "drain tasks submitted");
        subscription.close();
    }

    @Test
    void ownPoolLingersOnlyWithSeveralProcessors() {
        assertEquals(0, DrainPacing.ownPool(() -> false, 1).lingerNanos(), "linger with one processor");
        assertTrue(DrainPacing.ownPool(() -> false, 2).lingerNanos() > 0, "linger with two processors");
    }

    @Test
    void pacingRejectsNegativeLinger() {
        IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class,
                () -> new DrainPacing(-1, () -> true));
        assertTrue(thrown.getMessage().contains("-1"), thrown.getMessage());
    }

    /**
     * Queues {@value #QUEUED} messages before any drain task runs, then runs the submitted tasks on
     * this thread until none is left, and checks that the handler got every message in order.
     */
    private void runQueuedDrain(LocalSubscription subscription, List<Runnable> tasks) {
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < QUEUED; i++) {
            sent.add("m" + i);
            subscription.offer(Message.builder("meter/1").payload("m" + i).build(), AT_MOST_ONCE);
        }
        while (!tasks.isEmpty()) {
            tasks.remove(0).run();
        }
        assertEquals(sent, handled);
    }

    private LocalSubscription subscribe(long lingerNanos) {
        return subscribe(new DrainPacing(lingerNanos, () -> false), pool::execute);
    }

    private LocalSubscription subscribe(DrainPacing pacing, Executor executor) {
        BrokerMetrics metrics = new BrokerMetrics(new SimpleMeterRegistry());
        LocalContext context = new LocalContext(Clock.systemUTC(), scheduler,
                new DeadLetterWriter(new InMemoryDeadLetterStore(), metrics), metrics, Duration.ofSeconds(30));
        return new LocalSubscription("meter/+", message -> handled.add(message.payloadAsString()),
                SubscriptionOptions.builder().build(), task -> {
                    submitted.incrementAndGet();
                    executor.execute(task);
                }, pacing, context, s -> { });
    }

    /** Offers one message, waits until the handler has it, then offers the next. */
    private void deliverTwoMessages(LocalSubscription subscription) {
        subscription.offer(Message.builder("meter/1").payload("first").build(), AT_MOST_ONCE);
        await().atMost(WAIT).until(() -> handled.size() == 1);
        subscription.offer(Message.builder("meter/1").payload("second").build(), AT_MOST_ONCE);
        await().atMost(WAIT).until(() -> handled.size() == 2);
        assertEquals(List.of("first", "second"), handled);
    }
}
