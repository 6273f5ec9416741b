package io.petrel.broker.hooks;

import static io.petrel.broker.hooks.HookTestSupport.connect;
import static io.petrel.broker.hooks.HookTestSupport.counter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.api.BrokerException;
import io.petrel.api.Message;
import io.petrel.api.MessageHandler;
import io.petrel.api.Qos;
import io.petrel.api.Subscription;
import io.petrel.api.SubscriptionOptions;
import io.petrel.api.hook.AuthorizationDecision;
import io.petrel.api.hook.BrokerInterceptor;
import io.petrel.api.hook.ClientInfo;
import io.petrel.api.hook.DeadLetterEvent;
import io.petrel.api.hook.InterceptResult;
import io.petrel.api.hook.PublishEvent;
import io.petrel.api.hook.ReasonCode;
import io.petrel.api.hook.SubscribeEvent;
import io.petrel.api.hook.UnsubscribeEvent;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;

/** Interceptors on the hosting application's in-process publishes, subscriptions and deliveries. */
class InProcessInterceptorTest {

    private static final int V3 = MqttPackets.MQTT_3_1_1;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Queue<Object> events = new ConcurrentLinkedQueue<>();
    private PetrelBroker broker;

    @AfterEach
    void closeBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    /**
     * Tags in-process publishes, rejects publishes under {@code forbidden/}, rejects subscriptions
     * under {@code private/} and moves those under {@code alias/} to {@code real/}, and tags each
     * delivery with the subscriber; records every event.
     */
    private final class Recorder implements BrokerInterceptor {

        @Override
        public CompletionStage<InterceptResult<PublishEvent>> onPublishInbound(PublishEvent event) {
            events.add(event);
            if (event.message().topic().startsWith("forbidden/")) {
                return CompletableFuture.completedFuture(InterceptResult.reject(ReasonCode.NOT_AUTHORIZED, "forbidden"));
            }
            String origin = event.client().isInProcess() ? "app" : event.client().clientId();
            return CompletableFuture.completedFuture(
                    InterceptResult.proceed(event.withPayload(event.message().payloadAsString() + " from " + origin)));
        }

        @Override
        public CompletionStage<InterceptResult<PublishEvent>> onPublishOutbound(PublishEvent event) {
            String target = event.client().isInProcess() ? "handler" : event.client().clientId();
            return CompletableFuture.completedFuture(
                    InterceptResult.proceed(event.withPayload(event.message().payloadAsString() + " to " + target)));
        }

        @Override
        public CompletionStage<InterceptResult<SubscribeEvent>> onSubscribe(SubscribeEvent event) {
            events.add(event);
            if (event.filter().startsWith("private/")) {
                return CompletableFuture.completedFuture(InterceptResult.reject(ReasonCode.NOT_AUTHORIZED, "private"));
            }
            if (event.filter().startsWith("alias/")) {
                return CompletableFuture.completedFuture(InterceptResult.proceed(
                        event.withFilter("real/" + event.filter().substring("alias/".length()))));
            }
            return InterceptResult.proceedStage();
        }

        @Override
        public void onUnsubscribe(UnsubscribeEvent event) {
            events.add(event);
        }
    }

    private void startBroker() {
        broker = HookTestSupport.start(registry, builder -> builder.interceptor(new Recorder()));
    }

    @Test
    void inProcessPublishInterceptedAsInProcessClient() {
        startBroker();
        try (RawMqttClient subscriber = connect(broker, V3, "netsub")) {
            subscriber.subscribe(V3, 0, "app/#");

            broker.publish(Message.builder("app/a").payload("hi").build()).toCompletableFuture().join();

            assertEquals("hi from app to netsub", subscriber.receive(MqttPackets.PUBLISH).payload(V3));
        }
        PublishEvent inbound = events.stream().filter(PublishEvent.class::isInstance)
                .map(PublishEvent.class::cast).findFirst().orElseThrow();
        assertTrue(inbound.client().isInProcess(), "the in-process client publishes");
    }

    @Test
    void inProcessPublishRejectionFailsStage() {
        startBroker();

        CompletableFuture<Void> published = broker.publish(Message.builder("forbidden/a").payload("x").build())
                .toCompletableFuture();

        ExecutionException failure = assertThrows(ExecutionException.class, () -> published.get(5, TimeUnit.SECONDS));
        assertInstanceOf(BrokerException.class, failure.getCause());
        assertEquals(1, counter(registry, "petrel.hooks.rejections", "event", "publish_inbound"));
    }

    @Test
    void inProcessDeliveryIntercepted() throws Exception {
        startBroker();
        BlockingQueue<Message> received = new ArrayBlockingQueue<>(1);
        try (Subscription subscription = broker.subscribe("local/#", received::add)) {
            broker.publish(Message.builder("local/a").payload("hi").build());

            Message message = received.poll(5, TimeUnit.SECONDS);

            assertEquals("hi from app to handler", message == null ? null : message.payloadAsString());
        }
    }

    @Test
    void networkPublishInterceptedForHandler() throws Exception {
        startBroker();
        BlockingQueue<Message> received = new ArrayBlockingQueue<>(1);
        try (Subscription subscription = broker.subscribe("mixed/#", received::add);
             RawMqttClient publisher = connect(broker, V3, "netpub")) {
            publisher.send(MqttPackets.publish(V3, "mixed/a", "hi", 0, 0));

            Message message = received.poll(5, TimeUnit.SECONDS);

            assertEquals("hi from netpub to handler", message == null ? null : message.payloadAsString());
        }
    }

    @Test
    void inProcessSubscribeRejectedThrows() {
        startBroker();

        BrokerException failure = assertThrows(BrokerException.class,
                () -> broker.subscribe("private/a", message -> { }));

        assertTrue(failure.getMessage().contains("NOT_AUTHORIZED"), failure.getMessage());
    }

    @Test
    void inProcessSubscribeFilterChanged() throws Exception {
        startBroker();
        BlockingQueue<Message> received = new ArrayBlockingQueue<>(1);
        try (Subscription subscription = broker.subscribe("alias/a", received::add)) {
            broker.publish(Message.builder("real/a").payload("moved").build());

            Message message = received.poll(5, TimeUnit.SECONDS);

            assertEquals("real/a", subscription.filter());
            assertEquals("real/a", message == null ? null : message.topic());
        }
        SubscribeEvent subscribe = (SubscribeEvent) events.poll();
        assertTrue(subscribe.client().isInProcess(), "the in-process client subscribes");
        assertEquals(Qos.EXACTLY_ONCE, subscribe.qos());
    }

    @Test
    void inProcessUnsubscribeObserved() {
        startBroker();
        Subscription subscription = broker.subscribe("bye/a", message -> { });

        subscription.close();

        UnsubscribeEvent unsubscribe = events.stream().filter(UnsubscribeEvent.class::isInstance)
                .map(UnsubscribeEvent.class::cast).findFirst().orElseThrow();
        assertEquals("bye/a", unsubscribe.filter());
    }

    @Test
    void asyncInterceptorKeepsInProcessPublishOrder() {
        broker = HookTestSupport.start(registry, builder -> builder.interceptor(new BrokerInterceptor() {
            @Override
            public CompletionStage<InterceptResult<PublishEvent>> onPublishInbound(PublishEvent event) {
                if (!event.message().payloadAsString().equals("0")) {
                    return InterceptResult.proceedStage();
                }
                return CompletableFuture.supplyAsync(InterceptResult::proceed,
                        CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS));
            }
        }));
        List<String> received = new CopyOnWriteArrayList<>();
        try (Subscription subscription = broker.subscribe("order/#", message -> received.add(message.payloadAsString()))) {
            List<CompletableFuture<Void>> published = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                published.add(broker.publish(Message.builder("order/a").payload(Integer.toString(i)).build())
                        .toCompletableFuture());
            }
            CompletableFuture.allOf(published.toArray(CompletableFuture[]::new)).join();

            await().atMost(Duration.ofSeconds(3)).until(() -> received.size() == 5);
            assertEquals(List.of("0", "1", "2", "3", "4"), received);
        }
    }

    @Test
    void fullQueueStillHoldsPublishWithHooks() throws InterruptedException {
        broker = HookTestSupport.start(registry, builder -> builder
                .authorizer((client, action, topic) -> AuthorizationDecision.ALLOW)
                .interceptor(new Recorder()));
        CountDownLatch handlerGate = new CountDownLatch(1);
        List<String> handled = new CopyOnWriteArrayList<>();
        MessageHandler gated = message -> {
            assertTrue(handlerGate.await(10, TimeUnit.SECONDS), "handler gate never opened");
            handled.add(message.payloadAsString());
        };
        try (Subscription subscription = broker.subscribe("full/#", gated,
                SubscriptionOptions.builder().queueCapacity(1).build())) {
            CompletableFuture<Void> first = broker.publish(Message.builder("full/a").payload("1")
                    .qos(Qos.AT_LEAST_ONCE).build()).toCompletableFuture();
            CompletableFuture<Void> second = broker.publish(Message.builder("full/a").payload("2")
                    .qos(Qos.AT_LEAST_ONCE).build()).toCompletableFuture();

            assertTrue(first.isDone(), "the first publish finds room");
            assertFalse(second.isDone(), "the second publish waits for room");

            handlerGate.countDown();
            await().atMost(Duration.ofSeconds(5)).until(second::isDone);
            await().atMost(Duration.ofSeconds(5)).until(() -> handled.size() == 2);
            assertEquals(List.of("1 from app to handler", "2 from app to handler"), handled);
        } finally {
            handlerGate.countDown();
        }
    }

    @Test
    void deadLetterPassesFailingInterceptor() {
        List<DeadLetterEvent> seen = new CopyOnWriteArrayList<>();
        BrokerInterceptor failing = new BrokerInterceptor() {
            @Override
            public void onDeadLetter(DeadLetterEvent event) {
                throw new IllegalStateException("observer bug");
            }
        };
        BrokerInterceptor recording = new BrokerInterceptor() {
            @Override
            public void onDeadLetter(DeadLetterEvent event) {
                seen.add(event);
            }
        };
        BrokerMetrics metrics = new BrokerMetrics(registry);
        BrokerHooks hooks = new BrokerHooks(BrokerConfig.defaults(), metrics, List.of(), List.of(),
                List.of(failing, recording), filter -> null);
        Instant failedAt = Instant.parse("2026-01-01T00:00:00Z");
        DeadLetterEvent event = new DeadLetterEvent("orders/#", Message.builder("orders/1").build(),
                "ATTEMPTS_EXHAUSTED", 3, failedAt, failedAt, IllegalStateException.class.getName(), null);

        hooks.interceptors().onDeadLetter(event);

        assertEquals(List.of(event), seen);
        assertEquals(1, counter(registry, "petrel.hooks.errors", "hook", "interceptor"));
    }

    @Test
    void inProcessClientInfoHasNoAddress() {
        ClientInfo client = ClientInfo.inProcess();

        assertTrue(client.remoteAddress().isEmpty(), "no address");
        assertEquals("", client.clientId());
    }
}
