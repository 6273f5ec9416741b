package io.petrel.broker.local;

import io.petrel.api.Qos;
import io.petrel.api.Subscription;
import io.petrel.api.SubscriptionOptions;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.PetrelBroker;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A network publisher whose QoS 1 messages find a full in-process queue gets its PUBACKs only when
 * the queue had room, so it is slowed down instead of losing messages.
 */
class NetworkBackpressureTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private PetrelBroker broker;
    private MqttAsyncClient client;

    @AfterEach
    void tearDown() throws Exception {
        if (client != null && client.isConnected()) {
            client.disconnect().waitForCompletion(5_000);
        }
        if (client != null) {
            client.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void pubAckWithheldUntilQueueHasRoom() throws Exception {
        broker = PetrelBroker.builder().config(BrokerConfig.builder().port(0).build()).build();
        broker.start();
        CountDownLatch gate = new CountDownLatch(1);
        List<String> handled = new CopyOnWriteArrayList<>();
        Subscription subscription = broker.subscribe("meter/+", message -> {
            gate.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            handled.add(message.payloadAsString());
        }, SubscriptionOptions.builder().queueCapacity(1).build());

        client = new MqttAsyncClient("tcp://127.0.0.1:" + broker.port(), "meter-publisher", new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMaxInflight(10);
        client.connect(options).waitForCompletion(5_000);
        List<IMqttDeliveryToken> tokens = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            tokens.add(client.publish("meter/1", ("m" + i).getBytes(), Qos.AT_LEAST_ONCE.value(), false));
        }

        // The first message fills the queue of capacity 1; the later ones wait for room, and so do
        // their PUBACKs, which leave in PUBLISH order.
        await().atMost(WAIT).until(() -> tokens.get(0).isComplete());
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> !tokens.get(3).isComplete());
        assertFalse(tokens.get(3).isComplete(), "PUBACK of a message still waiting for room");

        gate.countDown();
        await().atMost(WAIT).until(() -> handled.size() == 4);
        await().atMost(WAIT).until(() -> tokens.stream().allMatch(IMqttDeliveryToken::isComplete));
        await().atMost(WAIT).until(() -> handled.size() == 4);
        assertEquals(List.of("m0", "m1", "m2", "m3"), handled);
        assertTrue(subscription.isActive());
    }
}
