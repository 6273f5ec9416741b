package io.petrel.broker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.api.BrokerException;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.Subscription;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Broker lifecycle and status: idempotent {@code start()} and {@code close()}, what a closed broker
 * does with calls, and what {@code status()} and the gauges report. Each test has its own broker.
 */
class BrokerLifecycleTest {

    private SimpleMeterRegistry registry;
    private PetrelBroker broker;

    @BeforeEach
    void startBroker() {
        registry = new SimpleMeterRegistry();
        broker = BrokerExtension.startBroker(BrokerExtension.testConfig().build(), registry);
    }

    @AfterEach
    void closeBroker() {
        broker.close();
    }

    @Test
    void startTwiceKeepsListener() {
        int port = broker.port();

        broker.start();

        assertEquals(port, broker.port());
        assertTrue(broker.status().running());
    }

    @Test
    void closeTwiceIsHarmless() {
        broker.close();
        broker.close();

        assertFalse(broker.status().running());
    }

    @Test
    void publishAfterCloseFailsStage() {
        broker.close();

        CompletableFuture<Void> stage = broker.publish(Message.builder("closed/t").payload("x").build()).toCompletableFuture();

        ExecutionException failure = assertThrows(ExecutionException.class, () -> stage.get(5, TimeUnit.SECONDS));
        assertInstanceOf(BrokerException.class, failure.getCause());
    }

    @Test
    void subscribeAfterCloseThrows() {
        broker.close();

        assertThrows(BrokerException.class, () -> broker.subscribe("closed/#", message -> { }));
    }

    @Test
    void startAfterCloseThrows() {
        broker.close();

        assertThrows(BrokerException.class, broker::start);
    }

    @Test
    void closeDeactivatesSubscriptions() {
        Subscription subscription = broker.subscribe("lifecycle/#", message -> { });

        broker.close();

        assertFalse(subscription.isActive());
    }

    @Test
    void statusReportsListenerOnLoopback() {
        List<InetSocketAddress> listeners = broker.status().listeners();

        assertEquals(1, listeners.size());
        assertTrue(listeners.get(0).getAddress().isLoopbackAddress(), "listener address " + listeners.get(0));
        assertEquals(broker.port(), listeners.get(0).getPort());
    }

    @Test
    void statusCountsConnectedClients() {
        try (RawMqttClient first = connect("first");
             RawMqttClient second = connect("second")) {
            await().atMost(Duration.ofSeconds(3)).until(() -> broker.status().connectedClients() == 2);
            assertEquals(2.0, gauge("petrel.connections.active"));
            assertEquals(2.0, gauge("petrel.sessions"));

            first.send(MqttPackets.disconnect());
            assertEquals(List.of(), first.receiveUntilClosed(Duration.ofSeconds(3)));

            await().atMost(Duration.ofSeconds(3)).until(() -> broker.status().connectedClients() == 1);
            assertEquals(1.0, gauge("petrel.connections.active"));
            assertTrue(second.ping());
        }
        await().atMost(Duration.ofSeconds(3)).until(() -> broker.status().connectedClients() == 0);
    }

    @Test
    void statusCountsRetainedMessages() throws Exception {
        long before = broker.status().retainedMessages();

        publishRetained("status/a", "x");
        publishRetained("status/b", "y");
        publishRetained("status/a", "replaced");
        assertEquals(before + 2, broker.status().retainedMessages());

        publishRetained("status/a", "");
        assertEquals(before + 1, broker.status().retainedMessages());
    }

    @Test
    void statusCountsSubscriptions() {
        long before = broker.status().subscriptions();

        try (Subscription subscription = broker.subscribe("status/sub/#", message -> { })) {
            assertEquals(before + 1, broker.status().subscriptions());
        }

        assertEquals(before, broker.status().subscriptions());
    }

    @Test
    void closeSendsDisconnect8BIn5() {
        try (RawMqttClient client = RawMqttClient.connect(broker.port(), ConnectPacket.mqtt5("shutdown5"))) {
            broker.close();

            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));

            assertEquals(1, packets.size(), "DISCONNECT, then close: " + packets);
            assertEquals(MqttPackets.DISCONNECT, packets.get(0).type());
            assertEquals(0x8B, packets.get(0).reasonCode(), "server shutting down");
        }
    }

    @Test
    void closeDisconnects311Clients() {
        try (RawMqttClient client = connect("shutdown")) {
            broker.close();

            assertEquals(List.of(), client.receiveUntilClosed(Duration.ofSeconds(5)));
        }
    }

    private RawMqttClient connect(String clientId) {
        return RawMqttClient.connect(broker.port(), ConnectPacket.mqtt311(clientId));
    }

    private void publishRetained(String topic, String payload) throws Exception {
        broker.publish(Message.builder(topic).payload(payload).qos(Qos.AT_LEAST_ONCE).retain(true).build())
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }
}
