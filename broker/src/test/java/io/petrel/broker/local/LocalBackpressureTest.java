package io.petrel.broker.local;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.api.BrokerException;
import io.petrel.api.Message;
import io.petrel.api.MessageHandler;
import io.petrel.api.Qos;
import io.petrel.api.Subscription;
import io.petrel.api.SubscriptionOptions;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.retained.RetainedMessages;
import io.petrel.broker.routing.Grant;
import io.petrel.broker.routing.MessageRouter;
import io.petrel.broker.routing.Subscriber;
import io.petrel.broker.routing.SubscriptionTrie;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalBackpressureTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final CountDownLatch gate = new CountDownLatch(1);
    private final List<String> handled = new CopyOnWriteArrayList<>();
    private final AtomicInteger entered = new AtomicInteger();
    private PetrelBroker broker;

    @AfterEach
    void closeBroker() {
        gate.countDown();
        if (broker != null) {
            broker.close();
        }
    }

    private void startBroker(Duration publishTimeout) {
        broker = PetrelBroker.builder().port(0).publishTimeout(publishTimeout).build();
        broker.start();
    }

    /** A handler that waits for the gate before recording each message. */
    private MessageHandler gatedHandler() {
        return m -> {
            entered.incrementAndGet();
            assertTrue(gate.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "gate never opened");
            handled.add(m.payloadAsString());
        };
    }

    private Subscription subscribeGated(int capacity) {
        return broker.subscribe("meter/+", gatedHandler(), SubscriptionOptions.builder().queueCapacity(capacity).build());
    }

    private CompletableFuture<Void> publish(String payload, Qos qos) {
        return broker.publish(Message.builder("meter/1").payload(payload).qos(qos).build()).toCompletableFuture();
    }

    private double dropped(String reason) {
        return broker.meterRegistry().get("petrel.messages.dropped").tag("reason", reason).counter().count();
    }

    @Test
    void fullQueueHoldsQos1PublishUntilHandlerDrains() {
        startBroker(Duration.ofSeconds(30));
        subscribeGated(2);
        CompletableFuture<Void> first = publish("1", Qos.AT_LEAST_ONCE);
        CompletableFuture<Void> second = publish("2", Qos.AT_LEAST_ONCE);

        CompletableFuture<Void> third = publish("3", Qos.AT_LEAST_ONCE);

        assertTrue(first.isDone());
        assertTrue(second.isDone());
        assertFalse(third.isDone(), "the third publish waits while the queue holds two messages");
        assertEquals(2, broker.status().localSubscriptions().get(0).queued());

        gate.countDown();

        await().atMost(WAIT).until(third::isDone);
        assertFalse(third.isCompletedExceptionally());
        await().atMost(WAIT).until(() -> handled.size() == 3);
        assertEquals(List.of("1", "2", "3"), handled);
    }

    @Test
    void qos2PublishAlsoWaits() {
        startBroker(Duration.ofSeconds(30));
        subscribeGated(1);
        publish("1", Qos.EXACTLY_ONCE);

        CompletableFuture<Void> second = publish("2", Qos.EXACTLY_ONCE);

        assertFalse(second.isDone());
        gate.countDown();
        await().atMost(WAIT).until(second::isDone);
    }

    @Test
    void waitingPublishesKeepTheirOrder() {
        startBroker(Duration.ofSeconds(30));
        subscribeGated(3);
        List<CompletableFuture<Void>> stages = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            stages.add(publish(Integer.toString(i), i == 3 ? Qos.AT_LEAST_ONCE : Qos.EXACTLY_ONCE));
        }
        assertEquals(3, stages.stream().filter(stage -> !stage.isDone()).count(), "three publishes wait for room");

        gate.countDown();

        await().atMost(WAIT).until(() -> handled.size() == 6);
        assertEquals(List.of("0", "1", "2", "3", "4", "5"), handled);
        for (CompletableFuture<Void> stage : stages) {
            assertTrue(stage.isDone());
            assertFalse(stage.isCompletedExceptionally());
        }
    }

    @Test
    void publishTimeoutFailsStageNamingFilterAndCapacity() {
        startBroker(Duration.ofMillis(200));
        subscribeGated(1);
        publish("1", Qos.AT_LEAST_ONCE);

        CompletableFuture<Void> second = publish("2", Qos.AT_LEAST_ONCE);

        CompletionException error = assertThrows(CompletionException.class, second::join);
        BrokerException cause = assertInstanceOf(BrokerException.class, error.getCause());
        assertTrue(cause.getMessage().contains("'meter/+'"), cause.getMessage());
        assertTrue(cause.getMessage().contains("capacity 1"), cause.getMessage());
        assertEquals(1.0, dropped("subscription_publish_timeout"));
        gate.countDown();
        await().atMost(WAIT).until(() -> handled.size() == 1);
        assertEquals(0, broker.status().localSubscriptions().get(0).queued());
        assertEquals(List.of("1"), handled);
    }

    @Test
    void qos0OverflowIsDroppedAndCounted() {
        startBroker(Duration.ofSeconds(30));
        subscribeGated(1);
        List<CompletableFuture<Void>> stages = new ArrayList<>();

        for (int i = 0; i < 3; i++) {
            stages.add(publish(Integer.toString(i), Qos.AT_MOST_ONCE));
        }

        assertTrue(stages.stream().allMatch(CompletableFuture::isDone), "QoS 0 publishes never wait");
        assertEquals(2.0, dropped("subscription_queue_full"));
        gate.countDown();
        await().atMost(WAIT).until(() -> handled.size() == 1);
        assertEquals(List.of("0"), handled);
    }

    @Test
    void subscriptionGrantedQos0DropsInsteadOfWaiting() {
        startBroker(Duration.ofSeconds(30));
        broker.subscribe("meter/+", gatedHandler(),
                SubscriptionOptions.builder().queueCapacity(1).maxQos(Qos.AT_MOST_ONCE).build());
        publish("1", Qos.AT_LEAST_ONCE);

        CompletableFuture<Void> second = publish("2", Qos.AT_LEAST_ONCE);

        assertTrue(second.isDone());
        assertEquals(1.0, dropped("subscription_queue_full"));
    }

    @Test
    void fullWaitingListFailsPublishAtOnce() {
        startBroker(Duration.ofSeconds(30));
        subscribeGated(1);
        publish("1", Qos.AT_LEAST_ONCE);
        CompletableFuture<Void> waiting = publish("2", Qos.AT_LEAST_ONCE);

        CompletableFuture<Void> rejected = publish("3", Qos.AT_LEAST_ONCE);

        assertFalse(waiting.isDone());
        CompletionException error = assertThrows(CompletionException.class, rejected::join);
        assertInstanceOf(BrokerException.class, error.getCause());
        assertEquals(1.0, dropped("subscription_queue_full"));
    }

    @Test
    void closingSubscriptionReleasesWaitingPublish() {
        startBroker(Duration.ofSeconds(30));
        Subscription subscription = subscribeGated(1);
        publish("1", Qos.AT_LEAST_ONCE);
        await().atMost(WAIT).until(() -> entered.get() == 1);
        CompletableFuture<Void> waiting = publish("2", Qos.AT_LEAST_ONCE);

        subscription.close();

        await().atMost(WAIT).until(waiting::isDone);
        assertFalse(waiting.isCompletedExceptionally());
        assertEquals(1.0, dropped("subscription_closed"));
    }

    @Test
    void otherSubscriptionsStillReceiveWhileOneIsFull() {
        startBroker(Duration.ofSeconds(30));
        subscribeGated(1);
        List<String> fast = new CopyOnWriteArrayList<>();
        broker.subscribe("meter/#", m -> fast.add(m.payloadAsString()));
        publish("1", Qos.AT_LEAST_ONCE);

        CompletableFuture<Void> second = publish("2", Qos.AT_LEAST_ONCE);

        await().atMost(WAIT).until(() -> fast.size() == 2);
        assertFalse(second.isDone());
    }

    @Test
    void retainedMessagesOnSubscribeMayExceedCapacity() {
        startBroker(Duration.ofSeconds(30));
        for (int i = 0; i < 5; i++) {
            broker.publish(Message.builder("meter/" + i).payload(Integer.toString(i)).qos(Qos.AT_LEAST_ONCE)
                    .retain(true).build()).toCompletableFuture().join();
        }

        subscribeGated(2);
        gate.countDown();

        await().atMost(WAIT).until(() -> handled.size() == 5);
    }

    @Test
    void routeReportsDeliveriesWaitingForRoom() {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            BrokerMetrics metrics = new BrokerMetrics(new SimpleMeterRegistry());
            LocalContext context = new LocalContext(Clock.systemUTC(), scheduler,
                    new DeadLetterWriter(new InMemoryDeadLetterStore(), metrics), metrics, Duration.ofSeconds(30));
            SubscriptionTrie<Subscriber, Grant> trie = new SubscriptionTrie<>();
            MessageRouter router = new MessageRouter(trie, new RetainedMessages());
            List<Runnable> neverRun = new CopyOnWriteArrayList<>();
            LocalSubscription subscription = new LocalSubscription("meter/+", gatedHandler(),
                    SubscriptionOptions.builder().queueCapacity(1).build(), neverRun::add, context, s -> { });
            trie.put("meter/+", subscription, Grant.of("meter/+", Qos.EXACTLY_ONCE));
            Message message = Message.builder("meter/1").payload("x").qos(Qos.AT_LEAST_ONCE).build();
            router.route(message, MessageRouter.LOCAL_PUBLISHER);

            MessageRouter.RouteOutcome outcome = router.routeWithBackpressure(message, MessageRouter.LOCAL_PUBLISHER);

            assertEquals(1, outcome.matched());
            assertEquals(1, outcome.waitingForRoom());
            assertFalse(outcome.allQueued().toCompletableFuture().isDone());
            assertEquals(1, neverRun.size(), "the first message went to the executor");
            subscription.close();
            assertTrue(outcome.allQueued().toCompletableFuture().isDone());
        } finally {
            scheduler.shutdownNow();
        }
    }
}
