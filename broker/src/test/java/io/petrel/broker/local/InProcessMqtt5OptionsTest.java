package io.petrel.broker.local;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;
import io.petrel.api.SubscriptionOptions;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.PetrelBroker;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MQTT 5.0 subscription options used by in-process subscribers. */
class InProcessMqtt5OptionsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private PetrelBroker broker;

    @BeforeEach
    void startBroker() {
        broker = PetrelBroker.builder().config(BrokerConfig.builder().port(0).build()).build();
        broker.start();
    }

    @AfterEach
    void closeBroker() {
        broker.close();
    }

    private void publish(String topic, String payload, boolean retain) {
        broker.publish(Message.builder(topic).payload(payload).qos(Qos.AT_LEAST_ONCE).retain(retain).build())
                .toCompletableFuture().join();
    }

    @Test
    void noLocalSkipsInProcessPublishes() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        broker.subscribe("room/#", message -> received.add(message.payloadAsString()),
                SubscriptionOptions.builder().noLocal(true).build());

        publish("room/a", "local", false);
        MqttClient client = new MqttClient("tcp://127.0.0.1:" + broker.port(), "no-local-peer", new MemoryPersistence());
        client.connect();
        client.publish("room/a", "network".getBytes(), 1, false);
        client.disconnect();
        client.close();

        await().atMost(WAIT).until(() -> received.contains("network"));
        assertEquals(List.of("network"), received);
    }

    @Test
    void subscriptionIdentifierReachesHandler() {
        List<Message> received = new CopyOnWriteArrayList<>();
        broker.subscribe("room/+", received::add, SubscriptionOptions.builder().subscriptionIdentifier(42).build());

        publish("room/a", "on", false);

        await().atMost(WAIT).until(() -> received.size() == 1);
        assertEquals(List.of(42), received.get(0).subscriptionIdentifiers());
    }

    @Test
    void retainHandlingNeverSkipsRetained() {
        publish("room/a", "kept", true);
        List<String> never = new CopyOnWriteArrayList<>();
        List<String> always = new CopyOnWriteArrayList<>();
        broker.subscribe("room/+", message -> never.add(message.payloadAsString()),
                SubscriptionOptions.builder().retainHandling(RetainHandling.DO_NOT_SEND).build());
        broker.subscribe("room/+", message -> always.add(message.payloadAsString()));

        publish("room/b", "live", false);

        await().atMost(WAIT).until(() -> never.contains("live") && always.contains("live"));
        assertEquals(List.of("live"), never);
        assertTrue(always.contains("kept"));
    }

    @Test
    void retainAsPublishedKeepsRetainFlag() {
        List<Boolean> flags = new CopyOnWriteArrayList<>();
        List<Boolean> plainFlags = new CopyOnWriteArrayList<>();
        broker.subscribe("room/+", message -> flags.add(message.retain()),
                SubscriptionOptions.builder().retainAsPublished(true).build());
        broker.subscribe("room/+", message -> plainFlags.add(message.retain()));

        publish("room/a", "kept", true);

        await().atMost(WAIT).until(() -> flags.size() == 1 && plainFlags.size() == 1);
        assertEquals(List.of(true), flags);
        assertEquals(List.of(false), plainFlags);
    }

    @Test
    void retainAsPublishedKeepsQueueBound() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        broker.subscribe("bound/+", message -> gate.await(WAIT.toMillis(), TimeUnit.MILLISECONDS),
                SubscriptionOptions.builder().retainAsPublished(true).queueCapacity(1).build());

        CompletableFuture<Void> first = broker.publish(Message.builder("bound/a").payload("1")
                .qos(Qos.AT_LEAST_ONCE).retain(true).build()).toCompletableFuture();
        CompletableFuture<Void> second = broker.publish(Message.builder("bound/b").payload("2")
                .qos(Qos.AT_LEAST_ONCE).retain(true).build()).toCompletableFuture();

        assertTrue(first.isDone(), "the first live message fills the queue");
        assertFalse(second.isDone(), "a live retained message waits for room like any other");
        gate.countDown();
        second.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void noLocalOnSharedSubscriptionRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> broker.subscribe("$share/g/room/#", message -> { },
                        SubscriptionOptions.builder().noLocal(true).build()));
        assertTrue(error.getMessage().contains("$share/g/room/#"), error.getMessage());
    }
}
