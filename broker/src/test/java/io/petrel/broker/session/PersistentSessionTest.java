package io.petrel.broker.session;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static io.petrel.broker.testing.MqttPackets.PUBACK;
import static io.petrel.broker.testing.MqttPackets.PUBCOMP;
import static io.petrel.broker.testing.MqttPackets.PUBLISH;
import static io.petrel.broker.testing.MqttPackets.PUBREC;
import static io.petrel.broker.testing.MqttPackets.PUBREL;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * MQTT 3.1.1 sessions: clean session semantics, messages queued while a persistent session is
 * offline, the queue bound, and resending of unacknowledged messages after a reconnect.
 */
class PersistentSessionTest {

    private static final int MAX_QUEUED = 10;
    private static final int MAX_INFLIGHT = 5;

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config
            .maxQueuedMessages(MAX_QUEUED)
            .maxInflightMessages(MAX_INFLIGHT));

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

    /**
     * Repeated because the reconnect follows the close at once and can reach the broker before it has
     * detached the closed connection from the session.
     */
    @RepeatedTest(5)
    void cleanSessionDiscardsSubscriptions() {
        String clientId = BROKER.clientId("clean");
        String topic = topic("clean");
        String marker = topic("cleanmarker");
        try (RawMqttClient first = connect(clientId, true)) {
            first.subscribe(MQTT_3_1_1, 1, topic);
            disconnect(first);
        }

        try (RawMqttClient second = connect(clientId, false);
             RawMqttClient publisher = connect(BROKER.clientId("cleanpub"), true)) {
            second.subscribe(MQTT_3_1_1, 0, marker);
            publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "stale", 1, 1));
            publisher.send(MqttPackets.publish(MQTT_3_1_1, marker, "marker", 0, 0));

            assertFalse(second.connack().sessionPresent(), "session present after clean session 1");
            assertEquals("marker", second.receive(PUBLISH).payload(MQTT_3_1_1));
        }
    }

    @RepeatedTest(5)
    void persistentSessionKeepsSubscriptions() {
        String clientId = BROKER.clientId("keep");
        String topic = topic("keep");
        try (RawMqttClient first = connect(clientId, false)) {
            first.subscribe(MQTT_3_1_1, 1, topic);
            disconnect(first);
        }

        try (RawMqttClient second = connect(clientId, false);
             RawMqttClient publisher = connect(BROKER.clientId("keeppub"), true)) {
            publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "still subscribed", 0, 0));

            assertTrue(second.connack().sessionPresent(), "session present");
            assertEquals("still subscribed", second.receive(PUBLISH).payload(MQTT_3_1_1));
        }
    }

    @Test
    void cleanSessionDiscardsStoredSession() {
        String clientId = BROKER.clientId("discard");
        try (RawMqttClient first = connect(clientId, false)) {
            first.subscribe(MQTT_3_1_1, 1, topic("discard"));
            disconnect(first);
        }
        try (RawMqttClient clean = connect(clientId, true)) {
            assertFalse(clean.connack().sessionPresent(), "clean session 1 always starts without a session");
            disconnect(clean);
        }

        try (RawMqttClient again = connect(clientId, false)) {
            assertFalse(again.connack().sessionPresent(), "the clean session discarded the stored one");
        }
    }

    @Test
    void offlineMessagesDeliveredOnReconnect() throws Exception {
        String clientId = BROKER.clientId("offline");
        String topic = topic("offline");
        BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
        MqttClient subscriber = pahoClient(clientId, received);
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(false);
        try {
            subscriber.connect(options);
            subscriber.subscribe(topic, 2);
            subscriber.disconnect();

            try (RawMqttClient publisher = connect(BROKER.clientId("offlinepub"), true)) {
                publishAcknowledged(publisher, topic, "first", 1, 1);
                publishAcknowledged(publisher, topic, "second", 2, 2);
                publishAcknowledged(publisher, topic, "third", 1, 3);
            }
            boolean sessionPresent = subscriber.connectWithResult(options).getSessionPresent();

            Map<String, Integer> qosByPayload = new TreeMap<>();
            for (int i = 0; i < 3; i++) {
                MqttMessage message = received.poll(5, TimeUnit.SECONDS);
                assertNotNull(message, "no message within 5 s; received so far: " + qosByPayload);
                qosByPayload.put(new String(message.getPayload(), StandardCharsets.UTF_8), message.getQos());
            }

            assertTrue(sessionPresent, "session present");
            // Paho hands a QoS 2 message to the application only when PUBREL arrives, so the
            // callback order differs from the wire order; offlineMessagesResentInPublishOrder checks that.
            assertEquals(Map.of("first", 1, "second", 2, "third", 1), qosByPayload);
        } finally {
            if (subscriber.isConnected()) {
                subscriber.disconnect();
            }
            subscriber.close();
        }
    }

    @Test
    void offlineMessagesResentInPublishOrder() {
        String clientId = BROKER.clientId("order");
        String topic = topic("order");
        try (RawMqttClient subscriber = connect(clientId, false)) {
            subscriber.subscribe(MQTT_3_1_1, 2, topic);
            disconnect(subscriber);
        }
        try (RawMqttClient publisher = connect(BROKER.clientId("orderpub"), true)) {
            publishAcknowledged(publisher, topic, "first", 1, 1);
            publishAcknowledged(publisher, topic, "second", 2, 2);
            publishAcknowledged(publisher, topic, "third", 1, 3);
        }

        try (RawMqttClient subscriber = connect(clientId, false)) {
            List<String> payloads = new ArrayList<>();
            List<Integer> qosLevels = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                RawPacket message = subscriber.receive(PUBLISH);
                int packetId = message.publishPacketId();
                subscriber.send(message.qos() == 1 ? MqttPackets.puback(packetId) : MqttPackets.pubrec(packetId));
                payloads.add(message.payload(MQTT_3_1_1));
                qosLevels.add(message.qos());
            }

            assertEquals(List.of("first", "second", "third"), payloads);
            assertEquals(List.of(1, 2, 1), qosLevels);
        }
    }

    @Test
    void queueBoundDropsExcessAndCounts() {
        String clientId = BROKER.clientId("bounded");
        String topic = topic("bounded");
        int published = 20;
        double droppedBefore = queueFullDrops();
        try (RawMqttClient subscriber = connect(clientId, false)) {
            subscriber.subscribe(MQTT_3_1_1, 1, topic);
            disconnect(subscriber);
        }

        try (RawMqttClient publisher = connect(BROKER.clientId("boundedpub"), true)) {
            for (int i = 0; i < published; i++) {
                publishAcknowledged(publisher, topic, "m" + i, 1, i + 1);
            }
        }
        // The session keeps at most MAX_QUEUED messages, plus MAX_INFLIGHT if the broker fills the
        // in-flight window of an offline session, so at least 20 - 10 - 5 messages are dropped.
        int minimumDropped = published - MAX_QUEUED - MAX_INFLIGHT;
        await().atMost(Duration.ofSeconds(3)).until(() -> queueFullDrops() - droppedBefore >= minimumDropped);

        int dropped = (int) (queueFullDrops() - droppedBefore);
        assertTrue(dropped <= published - MAX_QUEUED, dropped + " dropped: the session held fewer than " + MAX_QUEUED);

        List<Integer> delivered = new ArrayList<>();
        try (RawMqttClient subscriber = connect(clientId, false);
             RawMqttClient publisher = connect(BROKER.clientId("boundedmark"), true)) {
            for (int i = 0; i < published - dropped; i++) {
                RawPacket message = subscriber.receive(PUBLISH);
                subscriber.send(MqttPackets.puback(message.publishPacketId()));
                delivered.add(Integer.parseInt(message.payload(MQTT_3_1_1).substring(1)));
            }
            publishAcknowledged(publisher, topic, "marker", 1, 1);
            RawPacket next = subscriber.receive(PUBLISH);
            subscriber.send(MqttPackets.puback(next.publishPacketId()));

            assertEquals("marker", next.payload(MQTT_3_1_1), "more messages than published minus dropped");
        }
        assertEquals(dropped, queueFullDrops() - droppedBefore, "drops counted after the reconnect");
        assertEquals(delivered.stream().sorted().distinct().toList(), delivered, "delivered in publish order, once each");
    }

    @Test
    void unacknowledgedQos1ResentWithDup() {
        String clientId = BROKER.clientId("resend1");
        String topic = topic("resend1");
        RawPacket original;
        try (RawMqttClient subscriber = connect(clientId, false);
             RawMqttClient publisher = connect(BROKER.clientId("resend1pub"), true)) {
            subscriber.subscribe(MQTT_3_1_1, 1, topic);
            publishAcknowledged(publisher, topic, "unacked", 1, 1);
            original = subscriber.receive(PUBLISH);
            assertFalse(original.dup(), "DUP on the first delivery");
        }

        try (RawMqttClient subscriber = connect(clientId, false)) {
            RawPacket resent = subscriber.receive(PUBLISH);
            subscriber.send(MqttPackets.puback(resent.publishPacketId()));

            assertTrue(resent.dup(), "DUP on the resend");
            assertEquals(original.publishPacketId(), resent.publishPacketId(), "packet identifier");
            assertEquals(1, resent.qos());
            assertEquals("unacked", resent.payload(MQTT_3_1_1));
        }
    }

    @Test
    void unacknowledgedQos2ResentWithDup() {
        String clientId = BROKER.clientId("resend2");
        String topic = topic("resend2");
        RawPacket original;
        try (RawMqttClient subscriber = connect(clientId, false);
             RawMqttClient publisher = connect(BROKER.clientId("resend2pub"), true)) {
            subscriber.subscribe(MQTT_3_1_1, 2, topic);
            publishAcknowledged(publisher, topic, "unreceived", 2, 1);
            original = subscriber.receive(PUBLISH);
        }

        try (RawMqttClient subscriber = connect(clientId, false)) {
            RawPacket resent = subscriber.receive(PUBLISH);
            subscriber.send(MqttPackets.pubrec(resent.publishPacketId()));
            RawPacket pubrel = subscriber.receive();
            subscriber.send(MqttPackets.pubcomp(pubrel.packetId()));

            assertTrue(resent.dup(), "DUP on the resend");
            assertEquals(original.publishPacketId(), resent.publishPacketId(), "packet identifier");
            assertEquals(2, resent.qos());
            assertEquals(PUBREL, pubrel.type());
            assertEquals(resent.publishPacketId(), pubrel.packetId());
        }
    }

    @Test
    void pubrelResentAfterReconnect() {
        String clientId = BROKER.clientId("pubrel");
        String topic = topic("pubrel");
        int packetId;
        try (RawMqttClient subscriber = connect(clientId, false);
             RawMqttClient publisher = connect(BROKER.clientId("pubrelpub"), true)) {
            subscriber.subscribe(MQTT_3_1_1, 2, topic);
            publishAcknowledged(publisher, topic, "received", 2, 1);
            packetId = subscriber.receive(PUBLISH).publishPacketId();
            subscriber.send(MqttPackets.pubrec(packetId));
            assertEquals(PUBREL, subscriber.receive().type());
        }

        try (RawMqttClient subscriber = connect(clientId, false)) {
            RawPacket resent = subscriber.receive();
            subscriber.send(MqttPackets.pubcomp(packetId));

            assertEquals(PUBREL, resent.type(), "after PUBREC the broker resends PUBREL, not PUBLISH");
            assertEquals(packetId, resent.packetId());
            assertTrue(subscriber.ping(), "nothing more to resend after PUBCOMP");
        }
    }

    @Test
    void inboundQos2DeliveredOnceAcrossReconnect() {
        String publisherId = BROKER.clientId("in2");
        String topic = topic("in2");
        try (RawMqttClient subscriber = connect(BROKER.clientId("in2sub"), true)) {
            subscriber.subscribe(MQTT_3_1_1, 0, topic);

            try (RawMqttClient publisher = connect(publisherId, false)) {
                publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "once", 2, 7));
                assertEquals(PUBREC, publisher.receive().type());
            }
            try (RawMqttClient publisher = connect(publisherId, false)) {
                publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "once", 2, 7, true, false));
                RawPacket pubrec = publisher.receive();
                publisher.send(MqttPackets.pubrel(7));
                RawPacket pubcomp = publisher.receive();
                publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "marker", 0, 0));

                assertTrue(publisher.connack().sessionPresent(), "session present");
                assertEquals(PUBREC, pubrec.type());
                assertEquals(7, pubrec.packetId());
                assertEquals(PUBCOMP, pubcomp.type());
                assertEquals(7, pubcomp.packetId());
            }

            assertEquals(List.of("once", "marker"), payloadsUntilMarker(subscriber));
        }
    }

    private static String topic(String name) {
        return "session/" + BROKER.clientId(name);
    }

    private static RawMqttClient connect(String clientId, boolean cleanSession) {
        return RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(clientId).cleanSession(cleanSession));
    }

    /** Sends DISCONNECT and waits until the broker has closed the connection, so the session is offline. */
    private static void disconnect(RawMqttClient client) {
        client.send(MqttPackets.disconnect());
        assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
    }

    /** Publishes at QoS 1 or 2 and completes the acknowledgements. */
    private static void publishAcknowledged(RawMqttClient publisher, String topic, String payload, int qos, int packetId) {
        publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, payload, qos, packetId));
        if (qos == 1) {
            assertEquals(packetId, publisher.receive(PUBACK).packetId());
        } else {
            assertEquals(packetId, publisher.receive(PUBREC).packetId());
            publisher.send(MqttPackets.pubrel(packetId));
            assertEquals(packetId, publisher.receive(PUBCOMP).packetId());
        }
    }

    private static List<String> payloadsUntilMarker(RawMqttClient subscriber) {
        List<String> payloads = new ArrayList<>();
        String payload;
        do {
            payload = subscriber.receive(PUBLISH).payload(MQTT_3_1_1);
            payloads.add(payload);
        } while (!payload.equals("marker"));
        return payloads;
    }

    private static double queueFullDrops() {
        return BROKER.counter("petrel.messages.dropped", "queue_full");
    }

    private static MqttClient pahoClient(String clientId, BlockingQueue<MqttMessage> received) throws Exception {
        MqttClient client = new MqttClient(BROKER.serverUri(), clientId, new MemoryPersistence());
        client.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                received.add(message);
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
        return client;
    }
}
