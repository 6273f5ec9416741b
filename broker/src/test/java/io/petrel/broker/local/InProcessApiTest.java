package io.petrel.broker.local;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static io.petrel.broker.testing.MqttPackets.PUBLISH;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.internal.ThreadExecutorMap;
import io.petrel.api.Message;
import io.petrel.api.MessageHandler;
import io.petrel.api.Qos;
import io.petrel.api.RetryPolicy;
import io.petrel.api.Subscription;
import io.petrel.api.SubscriptionOptions;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The in-process API: {@code publish} and {@code subscribe} on the broker, handler threading and
 * error fencing, and the exchange with network clients in both directions.
 */
class InProcessApiTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    private static final long TIMEOUT_SECONDS = 5;

    @Test
    void publishStageCompletes() throws Exception {
        Message message = Message.builder("local/complete").payload("x").qos(Qos.AT_LEAST_ONCE).build();

        BROKER.broker().publish(message).toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void handlerReceivesInProcessPublish() throws Exception {
        String topic = topic("local");
        BlockingQueue<Message> received = new LinkedBlockingQueue<>();
        try (Subscription subscription = BROKER.broker().subscribe(topic, received::add)) {
            publish(Message.builder(topic).payload("in-process").qos(Qos.AT_LEAST_ONCE).build());

            Message message = poll(received);

            assertEquals(topic, message.topic());
            assertEquals("in-process", message.payloadAsString());
            assertEquals(Qos.AT_LEAST_ONCE, message.qos());
            assertFalse(message.retain());
        }
    }

    @Test
    void handlerReceivesNetworkPublish() throws Exception {
        String topic = topic("network");
        BlockingQueue<Message> full = new LinkedBlockingQueue<>();
        BlockingQueue<Message> capped = new LinkedBlockingQueue<>();
        try (Subscription fullSubscription = BROKER.broker().subscribe(topic, full::add);
             Subscription cappedSubscription = BROKER.broker().subscribe(topic, capped::add,
                     SubscriptionOptions.builder().maxQos(Qos.AT_LEAST_ONCE).build());
             RawMqttClient publisher = client("netpub")) {
            publishQos2(publisher, topic, "from the network");

            Message atFullQos = poll(full);
            Message atCappedQos = poll(capped);

            assertEquals("from the network", atFullQos.payloadAsString());
            assertEquals(Qos.EXACTLY_ONCE, atFullQos.qos());
            assertEquals(Qos.AT_LEAST_ONCE, atCappedQos.qos(), "delivered at the subscription's maximum QoS");
        }
    }

    @Test
    void inProcessPublishUsesNetworkGrant() throws Exception {
        String topic = topic("tonet");
        try (RawMqttClient atQos2 = client("sub2");
             RawMqttClient atQos1 = client("sub1")) {
            atQos2.subscribe(MQTT_3_1_1, 2, topic);
            atQos1.subscribe(MQTT_3_1_1, 1, topic);

            publish(Message.builder(topic).payload("qos1").qos(Qos.AT_LEAST_ONCE).build());
            RawPacket qos1ToGrant2 = atQos2.receive(PUBLISH);
            atQos2.send(MqttPackets.puback(qos1ToGrant2.publishPacketId()));
            publish(Message.builder(topic).payload("qos2").qos(Qos.EXACTLY_ONCE).build());
            RawPacket qos1ToGrant1 = atQos1.receive(PUBLISH);
            RawPacket qos2ToGrant1 = atQos1.receive(PUBLISH);

            assertEquals("qos1", qos1ToGrant2.payload(MQTT_3_1_1));
            assertEquals(1, qos1ToGrant2.qos());
            assertEquals("qos1", qos1ToGrant1.payload(MQTT_3_1_1));
            assertEquals("qos2", qos2ToGrant1.payload(MQTT_3_1_1));
            assertEquals(1, qos2ToGrant1.qos(), "a QoS 2 message to a QoS 1 grant");
        }
    }

    @Test
    void closedSubscriptionStopsDelivery() throws Exception {
        String topic = topic("closed");
        ExecutorService executor = Executors.newSingleThreadExecutor();
        SubscriptionOptions sameExecutor = SubscriptionOptions.builder().executor(executor).build();
        BlockingQueue<Message> closedQueue = new LinkedBlockingQueue<>();
        BlockingQueue<Message> openQueue = new LinkedBlockingQueue<>();
        try (Subscription open = BROKER.broker().subscribe(topic, openQueue::add, sameExecutor)) {
            Subscription closed = BROKER.broker().subscribe(topic, closedQueue::add, sameExecutor);
            closed.close();
            closed.close();
            publish(Message.builder(topic).payload("after close").build());

            assertEquals("after close", poll(openQueue).payloadAsString());
            // Both handlers share one thread, so a task queued for the closed one would have run by now.
            executor.submit(() -> { }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertNull(closedQueue.poll(), "message delivered to a closed subscription");
            assertFalse(closed.isActive());
            assertTrue(open.isActive());
            assertEquals(topic, closed.filter());
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void handlerRunsOutsideEventLoop() throws Exception {
        String topic = topic("thread");
        BlockingQueue<String> problems = new LinkedBlockingQueue<>();
        BlockingQueue<String> threadNames = new LinkedBlockingQueue<>();
        MessageHandler handler = message -> {
            threadNames.add(Thread.currentThread().getName());
            if (ThreadExecutorMap.currentExecutor() != null) {
                problems.add("handler ran inside Netty executor " + ThreadExecutorMap.currentExecutor()
                        + " on thread " + Thread.currentThread().getName());
            }
        };
        try (Subscription subscription = BROKER.broker().subscribe(topic, handler);
             RawMqttClient publisher = client("threadpub")) {
            publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "network", 0, 0));
            publish(Message.builder(topic).payload("local").build());

            String firstThread = threadNames.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            String secondThread = threadNames.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);

            assertNotNull(firstThread, "handler not called for the first message");
            assertNotNull(secondThread, "handler not called for the second message");
            assertEquals(List.of(), new ArrayList<>(problems));
        }
    }

    @Test
    void customExecutorRunsHandler() throws Exception {
        String topic = topic("executor");
        ExecutorService executor = Executors.newSingleThreadExecutor(runnable -> new Thread(runnable, "test-handler-executor"));
        BlockingQueue<String> threadNames = new LinkedBlockingQueue<>();
        try (Subscription subscription = BROKER.broker().subscribe(topic,
                message -> threadNames.add(Thread.currentThread().getName()),
                SubscriptionOptions.builder().executor(executor).build())) {
            publish(Message.builder(topic).payload("x").build());

            assertEquals("test-handler-executor", threadNames.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void throwingHandlerCountedAndNextDelivered() throws Exception {
        String topic = topic("throws");
        double errorsBefore = BROKER.counterSum("petrel.local.handler.errors");
        BlockingQueue<String> handled = new LinkedBlockingQueue<>();
        MessageHandler handler = message -> {
            if (message.payloadAsString().equals("poison")) {
                throw new IllegalStateException("deliberate handler failure");
            }
            handled.add(message.payloadAsString());
        };
        try (Subscription subscription = BROKER.broker().subscribe(topic, handler)) {
            publish(Message.builder(topic).payload("poison").build());
            publish(Message.builder(topic).payload("healthy").build());

            assertEquals("healthy", handled.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            await().atMost(Duration.ofSeconds(3))
                    .until(() -> BROKER.counterSum("petrel.local.handler.errors") > errorsBefore);
            assertTrue(subscription.isActive(), "a failing handler keeps its subscription");
        }
    }

    @Test
    void networkPublisherOrderKeptForHandler() throws Exception {
        String topic = topic("order");
        int count = 1000;
        List<Integer> received = new CopyOnWriteArrayList<>();
        MqttClient publisher = new MqttClient(BROKER.serverUri(), BROKER.clientId("orderpub"), new MemoryPersistence());
        try (Subscription subscription = BROKER.broker().subscribe(topic,
                message -> received.add(Integer.parseInt(message.payloadAsString())))) {
            MqttConnectOptions options = new MqttConnectOptions();
            // Paho's blocking publish can return before Paho lowers its in-flight count, so with the
            // default window of 10 a fast loop fails with "Too many publishes in progress".
            options.setMaxInflight(100);
            publisher.connect(options);
            for (int i = 0; i < count; i++) {
                publisher.publish(topic, Integer.toString(i).getBytes(StandardCharsets.UTF_8), 1, false);
            }

            await().atMost(Duration.ofSeconds(10)).until(() -> received.size() >= count);
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                expected.add(i);
            }
            assertEquals(expected, received);
        } finally {
            if (publisher.isConnected()) {
                publisher.disconnect();
            }
            publisher.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/+", "a/#", "+", "a/\u0000/b"})
    void invalidTopicNameRejected(String topic) {
        Message message = Message.builder(topic).payload("x").build();

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BROKER.broker().publish(message));

        assertTrue(e.getMessage().contains(topic), "message names the topic: " + e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/#/b", "a+", "#/a", "a/b#", ""})
    void invalidTopicFilterRejected(String filter) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BROKER.broker().subscribe(filter, message -> { }));

        assertTrue(e.getMessage().contains("'" + filter + "'"), "message names the filter: " + e.getMessage());
    }

    @Test
    void deliveredMetricCountsBatchesAndRetries() throws Exception {
        String topic = topic("counted");
        int messages = 600; // more than two drain batches of 256
        AtomicInteger calls = new AtomicInteger();
        MessageHandler failsOnce = message -> {
            if (calls.incrementAndGet() == 300) {
                throw new IllegalStateException("handler failure for the test");
            }
        };
        SubscriptionOptions options = SubscriptionOptions.builder()
                .retryPolicy(RetryPolicy.builder().initialDelay(Duration.ofMillis(10)).build())
                .build();
        double before = deliveredLocal();
        try (Subscription subscription = BROKER.broker().subscribe(topic, failsOnce, options)) {
            for (int i = 0; i < messages; i++) {
                publish(Message.builder(topic).payload("m" + i).build());
            }

            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
                    .until(() -> ((LocalSubscription) subscription).status().delivered() == messages);
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> deliveredLocal() - before >= messages);
            assertEquals(messages, deliveredLocal() - before);
            assertEquals(messages + 1, calls.get());
        }
    }

    private static double deliveredLocal() {
        return BROKER.broker().meterRegistry().get("petrel.messages.delivered").tag("destination", "local")
                .counter().count();
    }

    private static String topic(String name) {
        return "local/" + BROKER.clientId(name);
    }

    private static RawMqttClient client(String name) {
        return RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId(name)));
    }

    private static void publish(Message message) throws Exception {
        BROKER.broker().publish(message).toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private static void publishQos2(RawMqttClient publisher, String topic, String payload) {
        publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, payload, 2, 1));
        assertEquals(MqttPackets.PUBREC, publisher.receive().type());
        publisher.send(MqttPackets.pubrel(1));
        assertEquals(MqttPackets.PUBCOMP, publisher.receive().type());
    }

    private static Message poll(BlockingQueue<Message> queue) throws InterruptedException {
        Message message = queue.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(message, "no message within " + TIMEOUT_SECONDS + " s");
        return message;
    }
}
