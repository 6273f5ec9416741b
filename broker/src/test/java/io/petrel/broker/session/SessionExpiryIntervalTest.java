package io.petrel.broker.session;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.TestClients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The MQTT 5.0 Session Expiry Interval, set on CONNECT and changed on DISCONNECT: a session outlives
 * its connection for that long with its subscriptions and queued messages, and is then discarded
 * and counted in {@code petrel.sessions.expired}.
 */
class SessionExpiryIntervalTest {

    private static final String EXPIRED = "petrel.sessions.expired";

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    @Test
    void sessionResumedWithinExpiry() {
        String clientId = BROKER.clientId("resume");
        String topic = "expiry/resume/" + clientId;
        try (RawMqttClient client = connect(clientId, true, 60)) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1);
            client.send(MqttPackets.disconnect5(0x00));
        }
        awaitOffline();
        publish(topic, "while offline");

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(connectPacket(clientId, false, 60).toBytes());
            RawPacket connack = client.receive();
            RawPacket queued = client.receive(MqttPackets.PUBLISH);

            assertTrue(connack.sessionPresent(), "session present");
            assertEquals("while offline", queued.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void sessionExpiresAfterInterval() {
        String clientId = BROKER.clientId("expire");
        String topic = "expiry/expire/" + clientId;
        double expiredBefore = BROKER.counterSum(EXPIRED);
        double discardedBefore = BROKER.counter("petrel.messages.dropped", "session_ended");
        try (RawMqttClient client = connect(clientId, true, 1)) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1);
        }
        awaitOffline();
        publish(topic, "queued then discarded");

        BrokerExtension.awaitIncrease(() -> BROKER.counterSum(EXPIRED), expiredBefore);
        BrokerExtension.awaitIncrease(() -> BROKER.counter("petrel.messages.dropped", "session_ended"),
                discardedBefore);

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(connectPacket(clientId, false, 60).toBytes());
            RawPacket connack = client.receive();

            assertTrue(connack.isSuccessfulConnack());
            assertFalse(connack.sessionPresent(), "an expired session was resumed");
            assertTrue(client.ping(), "a message of the expired session was delivered");
        }
    }

    @Test
    void expiredSessionCountedOnce() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PetrelBroker broker = BrokerExtension.startBroker(BrokerExtension.testConfig().build(), registry);
        try {
            try (RawMqttClient client = Mqtt5Packets.connect(broker.port(), connectPacket("counted", true, 1))) {
                assertTrue(client.ping());
            }
            await().atMost(Duration.ofSeconds(3)).until(() -> expiredCount(registry) > 0);
            long settled = System.nanoTime();
            awaitElapsed(settled, Duration.ofMillis(500));

            assertEquals(1, expiredCount(registry));
            assertEquals(0, broker.status().sessions());
        } finally {
            broker.close();
        }
    }

    @Test
    void expiredSessionLosesSubscriptions() {
        String clientId = BROKER.clientId("subs");
        String topic = "expiry/subs/" + clientId;
        double expiredBefore = BROKER.counterSum(EXPIRED);
        try (RawMqttClient client = connect(clientId, true, 1)) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1);
        }
        BrokerExtension.awaitIncrease(() -> BROKER.counterSum(EXPIRED), expiredBefore);

        try (RawMqttClient client = connect(clientId, false, 60)) {
            publish(topic, "after expiry");

            assertTrue(client.ping(), "the subscription of the expired session still delivers");
        }
    }

    @Test
    void zeroExpiryEndsSessionAtClose() {
        String clientId = BROKER.clientId("zero");
        try (RawMqttClient client = connect(clientId, true, 0)) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), "expiry/zero", 1);
        }
        awaitOffline();

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(connectPacket(clientId, false, 0).toBytes());

            assertFalse(client.receive().sessionPresent(), "session with expiry 0 outlived its connection");
        }
    }

    @Test
    void connectedSessionDoesNotExpire() {
        String clientId = BROKER.clientId("online");
        String topic = "expiry/online/" + clientId;
        try (RawMqttClient client = connect(clientId, true, 1)) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1);
            long start = System.nanoTime();
            awaitElapsed(start, Duration.ofMillis(1500));
            publish(topic, "still subscribed");

            RawPacket delivered = client.receive(MqttPackets.PUBLISH);

            assertEquals("still subscribed", delivered.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void reconnectRestartsExpiry() {
        String clientId = BROKER.clientId("restart");
        String topic = "expiry/restart/" + clientId;
        try (RawMqttClient client = connect(clientId, true, 2)) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1);
        }
        awaitOffline();
        long firstClose = System.nanoTime();
        awaitElapsed(firstClose, Duration.ofMillis(1000));
        try (RawMqttClient client = connect(clientId, false, 2)) {
            assertTrue(client.ping());
        }
        awaitOffline();
        // The first timer would fire about 2 s after the first close; the session must outlive it.
        awaitElapsed(firstClose, Duration.ofMillis(2500));
        publish(topic, "kept");

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(connectPacket(clientId, false, 60).toBytes());
            RawPacket connack = client.receive();
            RawPacket queued = client.receive(MqttPackets.PUBLISH);

            assertTrue(connack.sessionPresent(), "the timer of the earlier connection ended the session");
            assertEquals("kept", queued.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void disconnectLowersExpiryToZero() {
        String clientId = BROKER.clientId("lower");
        try (RawMqttClient client = connect(clientId, true, 60)) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), "expiry/lower", 1);
            client.send(Mqtt5Packets.disconnect(0x00, Mqtt5Properties.create().sessionExpiryInterval(0)));
            client.receiveUntilClosed(Duration.ofSeconds(5));
        }
        awaitOffline();

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(connectPacket(clientId, false, 60).toBytes());

            assertFalse(client.receive().sessionPresent(), "DISCONNECT with expiry 0 left the session");
        }
    }

    @Test
    void disconnectShortensExpiry() {
        String clientId = BROKER.clientId("shorten");
        double expiredBefore = BROKER.counterSum(EXPIRED);
        try (RawMqttClient client = connect(clientId, true, 3600)) {
            client.send(Mqtt5Packets.disconnect(0x00, Mqtt5Properties.create().sessionExpiryInterval(1)));
            client.receiveUntilClosed(Duration.ofSeconds(5));
        }

        BrokerExtension.awaitIncrease(() -> BROKER.counterSum(EXPIRED), expiredBefore);
    }

    @Test
    void disconnectRaisesNonZeroExpiry() {
        String clientId = BROKER.clientId("raise");
        String topic = "expiry/raise/" + clientId;
        try (RawMqttClient client = connect(clientId, true, 1)) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1);
            client.send(Mqtt5Packets.disconnect(0x00, Mqtt5Properties.create().sessionExpiryInterval(60)));
            client.receiveUntilClosed(Duration.ofSeconds(5));
        }
        awaitOffline();
        long closed = System.nanoTime();
        awaitElapsed(closed, Duration.ofMillis(1500));

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(connectPacket(clientId, false, 60).toBytes());

            assertTrue(client.receive().sessionPresent(), "the session expired after the interval of CONNECT");
        }
    }

    @Test
    void raisingZeroExpiryOnDisconnectIsProtocolError() {
        String clientId = BROKER.clientId("zero-raise");
        try (RawMqttClient client = connect(clientId, true, 0)) {
            client.send(Mqtt5Packets.disconnect(0x00, Mqtt5Properties.create().sessionExpiryInterval(30)));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x82, disconnect.reasonCode());
        }
        awaitOffline();
        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(connectPacket(clientId, false, 0).toBytes());

            assertFalse(client.receive().sessionPresent(), "the session took the raised expiry interval");
        }
    }

    @Test
    void neverExpiringSessionSurvives() {
        String clientId = BROKER.clientId("forever");
        String topic = "expiry/forever/" + clientId;
        try (RawMqttClient client = connect(clientId, true, 0xFFFF_FFFFL)) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1);
        }
        awaitOffline();
        publish(topic, "kept forever");

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(connectPacket(clientId, false, 0).toBytes());
            RawPacket connack = client.receive();
            RawPacket queued = client.receive(MqttPackets.PUBLISH);

            assertTrue(connack.sessionPresent());
            assertEquals("kept forever", queued.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void hiveMqClientResumesSession() throws InterruptedException {
        String clientId = BROKER.clientId("hive");
        String topic = "expiry/hive/" + clientId;
        Mqtt5BlockingClient first = hiveMqClient(clientId);
        first.connectWith().cleanStart(true).sessionExpiryInterval(30).send();
        first.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
        first.disconnect();
        awaitOffline();
        publish(topic, "for hive");

        Mqtt5BlockingClient second = hiveMqClient(clientId);
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = second.publishes(MqttGlobalPublishFilter.ALL)) {
            Mqtt5ConnAck connack = second.connectWith().cleanStart(false).sessionExpiryInterval(30).send();
            Optional<Mqtt5Publish> queued = publishes.receive(5, TimeUnit.SECONDS);

            assertTrue(connack.isSessionPresent(), "session present");
            assertTrue(queued.isPresent(), "no queued message");
            assertEquals("for hive", new String(queued.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
        } finally {
            if (second.getState().isConnected()) {
                second.disconnectWith().sessionExpiryInterval(0).send();
            }
        }
    }

    @Test
    void pahoClientSeesExpiredSession() throws Exception {
        String clientId = BROKER.clientId("paho");
        double expiredBefore = BROKER.counterSum(EXPIRED);
        org.eclipse.paho.mqttv5.client.MqttClient client = new org.eclipse.paho.mqttv5.client.MqttClient(
                BROKER.serverUri(), clientId, new MemoryPersistence());
        try {
            MqttConnectionOptions options = new MqttConnectionOptions();
            options.setCleanStart(true);
            options.setSessionExpiryInterval(1L);
            client.connect(options);
            client.subscribe("expiry/paho", 1);
            client.disconnect();
            BrokerExtension.awaitIncrease(() -> BROKER.counterSum(EXPIRED), expiredBefore);

            options.setCleanStart(false);
            IMqttToken token = client.connectWithResult(options);

            assertFalse(token.getSessionPresent(), "the expired session was resumed");
        } finally {
            TestClients.disconnect(client);
        }
    }

    private static double expiredCount(SimpleMeterRegistry registry) {
        return registry.find(EXPIRED).counters().stream().mapToDouble(Counter::count).sum();
    }

    private static RawMqttClient connect(String clientId, boolean cleanStart, long expirySeconds) {
        return Mqtt5Packets.connect(BROKER.port(), connectPacket(clientId, cleanStart, expirySeconds));
    }

    private static Mqtt5Packets.Connect connectPacket(String clientId, boolean cleanStart, long expirySeconds) {
        return Mqtt5Packets.connect(clientId).cleanStart(cleanStart)
                .properties(Mqtt5Properties.create().sessionExpiryInterval(expirySeconds));
    }

    private static void publish(String topic, String payload) {
        BROKER.broker().publish(Message.builder(topic).payload(payload).qos(Qos.AT_LEAST_ONCE).build());
    }

    private static Mqtt5BlockingClient hiveMqClient(String clientId) {
        return MqttClient.builder().useMqttVersion5().identifier(clientId)
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
    }

    /** Waits until {@code duration} has passed since {@code startNanos}: expiry needs wall time to pass. */
    private static void awaitElapsed(long startNanos, Duration duration) {
        await().atMost(duration.plusSeconds(2)).until(() -> System.nanoTime() - startNanos >= duration.toNanos());
    }

    /**
     * Waits until the broker has no open client connection. Each session detaches on its event loop
     * right after its connection closes, so queued QoS 1 messages reach the session either way.
     */
    private static void awaitOffline() {
        await().atMost(Duration.ofSeconds(3)).until(() -> BROKER.broker().status().connectedClients() == 0);
    }
}
