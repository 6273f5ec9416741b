package io.petrel.broker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.TestClients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * MQTT 5.0 flow control in both directions. The broker leaves at most the client's Receive Maximum
 * of QoS 1 and 2 PUBLISH packets unacknowledged. It disconnects a client that leaves more QoS 2
 * messages unreleased than the broker's Receive Maximum of 2.
 *
 * <p>A PINGREQ answered by PINGRESP shows that no further PUBLISH was sent: the broker queues every
 * message to the subscriber before the test sends PINGREQ, so a PUBLISH beyond the window would be
 * written first.
 *
 * <p>A client that reconnects to its session gets the messages that the previous connection left
 * unacknowledged again, oldest first, within the Receive Maximum of the new connection.
 */
class ReceiveMaximumTest {

    /** How long a test waits to see that the broker sends nothing. */
    private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(300);

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config
            .receiveMaximum(2)
            .maxInflightMessages(20)
            .maxQueuedMessages(20));

    @Test
    void brokerSendsAtMostClientReceiveMaximum() {
        String topic = "window/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = subscriber(topic, 2, 1)) {
            for (int i = 1; i <= 5; i++) {
                publish(topic, "m" + i, Qos.AT_LEAST_ONCE);
            }

            RawPacket first = subscriber.receive(MqttPackets.PUBLISH);
            RawPacket second = subscriber.receive(MqttPackets.PUBLISH);
            assertTrue(subscriber.ping(), "a third PUBLISH was sent before any PUBACK");

            subscriber.send(MqttPackets.puback(first.publishPacketId()));
            RawPacket third = subscriber.receive(MqttPackets.PUBLISH);
            assertTrue(subscriber.ping(), "one PUBACK released more than one PUBLISH");

            subscriber.send(MqttPackets.puback(second.publishPacketId()));
            RawPacket fourth = subscriber.receive(MqttPackets.PUBLISH);
            assertTrue(subscriber.ping(), "one PUBACK released more than one PUBLISH");

            assertEquals("m1", first.payload(MqttPackets.MQTT_5));
            assertEquals("m2", second.payload(MqttPackets.MQTT_5));
            assertEquals("m3", third.payload(MqttPackets.MQTT_5));
            assertEquals("m4", fourth.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void qos2MessageCountsUntilPubcomp() {
        String topic = "window2/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = subscriber(topic, 1, 2)) {
            publish(topic, "first", Qos.EXACTLY_ONCE);
            publish(topic, "second", Qos.EXACTLY_ONCE);

            RawPacket first = subscriber.receive(MqttPackets.PUBLISH);
            subscriber.send(MqttPackets.pubrec(first.publishPacketId()));
            RawPacket pubrel = subscriber.receive();
            assertEquals(MqttPackets.PUBREL, pubrel.type());
            assertTrue(subscriber.ping(), "the next PUBLISH was sent before PUBCOMP");

            subscriber.send(MqttPackets.pubcomp(first.publishPacketId()));
            RawPacket second = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals("first", first.payload(MqttPackets.MQTT_5));
            assertEquals("second", second.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void resendStaysWithinNewReceiveMaximum() {
        String clientId = BROKER.clientId("resume");
        String topic = "resume/" + clientId;
        List<RawPacket> sent = receiveWithoutAcknowledging(clientId, topic, 4, Qos.AT_LEAST_ONCE);
        publish(topic, "m5", Qos.AT_LEAST_ONCE);

        List<RawPacket> received = new ArrayList<>();
        try (RawMqttClient subscriber = persistentSubscriber(clientId, 2)) {
            received.add(subscriber.receive(MqttPackets.PUBLISH));
            received.add(subscriber.receive(MqttPackets.PUBLISH));
            assertTrue(subscriber.ping(), "a third PUBLISH was resent before any PUBACK");
            for (int next = 2; next < 5; next++) {
                subscriber.send(MqttPackets.puback(received.get(next - 2).publishPacketId()));
                received.add(subscriber.receive(MqttPackets.PUBLISH));
                assertTrue(subscriber.ping(), "one PUBACK released more than one PUBLISH");
            }
        }

        assertEquals(List.of("m1", "m2", "m3", "m4", "m5"), payloads(received));
        for (int i = 0; i < 4; i++) {
            assertTrue(received.get(i).dup(), "DUP on the resent " + payloads(received).get(i));
            assertEquals(sent.get(i).publishPacketId(), received.get(i).publishPacketId(), "packet identifier");
        }
        assertFalse(received.get(4).dup(), "DUP on the message queued while offline");
    }

    @Test
    void resentPubrelCountsAgainstLimit() {
        String clientId = BROKER.clientId("resumerel");
        String topic = "resumerel/" + clientId;
        RawPacket released;
        RawPacket unreceived;
        try (RawMqttClient subscriber = persistentSubscriber(clientId, 10)) {
            Mqtt5Packets.subscribeAndAwait(subscriber, 1, Mqtt5Properties.none(), topic, 2);
            publish(topic, "released", Qos.EXACTLY_ONCE);
            publish(topic, "unreceived", Qos.EXACTLY_ONCE);
            released = subscriber.receive(MqttPackets.PUBLISH);
            unreceived = subscriber.receive(MqttPackets.PUBLISH);
            subscriber.send(MqttPackets.pubrec(released.publishPacketId()));
            assertEquals(MqttPackets.PUBREL, subscriber.receive().type());
            disconnect(subscriber);
        }

        try (RawMqttClient subscriber = persistentSubscriber(clientId, 1)) {
            RawPacket pubrel = subscriber.receive();
            assertTrue(subscriber.ping(), "a PUBLISH was resent while the PUBREL awaited PUBCOMP");
            subscriber.send(MqttPackets.pubcomp(pubrel.packetId()));
            RawPacket resent = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals(MqttPackets.PUBREL, pubrel.type());
            assertEquals(released.publishPacketId(), pubrel.packetId());
            assertEquals("unreceived", resent.payload(MqttPackets.MQTT_5));
            assertEquals(unreceived.publishPacketId(), resent.publishPacketId());
            assertTrue(resent.dup(), "DUP on the resend");
        }
    }

    @Test
    void acknowledgedBeforeResendIsSkipped() {
        String clientId = BROKER.clientId("resumeack");
        List<RawPacket> sent = receiveWithoutAcknowledging(clientId, "resumeack/" + clientId, 3, Qos.AT_LEAST_ONCE);

        try (RawMqttClient subscriber = persistentSubscriber(clientId, 1)) {
            RawPacket first = subscriber.receive(MqttPackets.PUBLISH);
            // The client processed m2 on the previous connection and acknowledges it now.
            subscriber.send(MqttPackets.puback(sent.get(1).publishPacketId()));
            // m1 is still outstanding, so the PUBACK of m2 releases nothing.
            subscriber.expectNothingUntil(System.nanoTime() + QUIET_NANOS);
            subscriber.send(MqttPackets.puback(first.publishPacketId()));
            RawPacket next = subscriber.receive(MqttPackets.PUBLISH);
            subscriber.send(MqttPackets.puback(next.publishPacketId()));
            subscriber.expectNothingUntil(System.nanoTime() + QUIET_NANOS);

            assertEquals("m1", first.payload(MqttPackets.MQTT_5));
            assertEquals("m3", next.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void pubrecBeforeResendCountsAgainstLimit() {
        String clientId = BROKER.clientId("resumerec");
        String topic = "resumerec/" + clientId;
        List<RawPacket> sent = receiveWithoutAcknowledging(clientId, topic, 3, Qos.EXACTLY_ONCE);
        int first = sent.get(0).publishPacketId();
        int third = sent.get(2).publishPacketId();

        try (RawMqttClient subscriber = persistentSubscriber(clientId, 1)) {
            RawPacket resent = subscriber.receive(MqttPackets.PUBLISH);
            // The client received m3 on the previous connection and sends PUBREC before its resend.
            subscriber.send(MqttPackets.pubrec(third));
            RawPacket earlyPubrel = subscriber.receive();
            subscriber.send(MqttPackets.pubrec(first));
            RawPacket pubrel = subscriber.receive();
            subscriber.send(MqttPackets.pubcomp(first));
            // The PUBREL of m3 is outstanding, so Receive Maximum 1 keeps m2 back.
            subscriber.expectNothingUntil(System.nanoTime() + QUIET_NANOS);
            subscriber.send(MqttPackets.pubcomp(third));
            RawPacket last = subscriber.receive(MqttPackets.PUBLISH);
            subscriber.send(MqttPackets.pubrec(last.publishPacketId()));
            RawPacket lastPubrel = subscriber.receive();
            subscriber.send(MqttPackets.pubcomp(last.publishPacketId()));
            subscriber.expectNothingUntil(System.nanoTime() + QUIET_NANOS);

            assertEquals(first, resent.publishPacketId());
            assertEquals(MqttPackets.PUBREL, earlyPubrel.type());
            assertEquals(third, earlyPubrel.packetId());
            assertEquals(MqttPackets.PUBREL, pubrel.type());
            assertEquals(first, pubrel.packetId());
            assertEquals("m2", last.payload(MqttPackets.MQTT_5));
            assertEquals(MqttPackets.PUBREL, lastPubrel.type());
            assertEquals(last.publishPacketId(), lastPubrel.packetId());
        }
    }

    @Test
    void resendOverMaximumPacketSizeDropped() {
        String clientId = BROKER.clientId("resumesize");
        String topic = "resumesize/" + clientId;
        try (RawMqttClient subscriber = persistentSubscriber(clientId, 10)) {
            Mqtt5Packets.subscribeAndAwait(subscriber, 1, Mqtt5Properties.none(), topic, 1);
            publish(topic, "x".repeat(300), Qos.AT_LEAST_ONCE);
            publish(topic, "small", Qos.AT_LEAST_ONCE);
            subscriber.receive(MqttPackets.PUBLISH);
            subscriber.receive(MqttPackets.PUBLISH);
            disconnect(subscriber);
        }
        double droppedBefore = BROKER.counter("petrel.messages.dropped", "too_large_for_client");

        try (RawMqttClient subscriber = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId)
                .cleanStart(false).properties(Mqtt5Properties.create().sessionExpiryInterval(300).receiveMaximum(1)
                        .maximumPacketSize(100)))) {
            RawPacket resent = subscriber.receive(MqttPackets.PUBLISH);
            subscriber.send(MqttPackets.puback(resent.publishPacketId()));
            subscriber.expectNothingUntil(System.nanoTime() + QUIET_NANOS);

            assertEquals("small", resent.payload(MqttPackets.MQTT_5));
            assertTrue(resent.dup(), "DUP on the resend");
        }
        assertEquals(droppedBefore + 1, BROKER.counter("petrel.messages.dropped", "too_large_for_client"));
    }

    @Test
    void qos0MessagesIgnoreReceiveMaximum() {
        String topic = "window0/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = subscriber(topic, 1, 1)) {
            publish(topic, "unacknowledged", Qos.AT_LEAST_ONCE);
            RawPacket unacknowledged = subscriber.receive(MqttPackets.PUBLISH);
            publish(topic, "zero", Qos.AT_MOST_ONCE);

            RawPacket zero = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals("unacknowledged", unacknowledged.payload(MqttPackets.MQTT_5));
            assertEquals("zero", zero.payload(MqttPackets.MQTT_5));
            assertEquals(0, zero.qos());
        }
    }

    @Test
    void qos2BeyondBrokerReceiveMaximumDisconnectsWith0x93() {
        try (RawMqttClient publisher = client("flood")) {
            publisher.send(Mqtt5Packets.publish("flood/t", "1", 2, 1, false, Mqtt5Properties.none()));
            publisher.send(Mqtt5Packets.publish("flood/t", "2", 2, 2, false, Mqtt5Properties.none()));
            RawPacket firstPubrec = publisher.receive();
            RawPacket secondPubrec = publisher.receive();
            publisher.send(Mqtt5Packets.publish("flood/t", "3", 2, 3, false, Mqtt5Properties.none()));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(publisher);

            assertEquals(MqttPackets.PUBREC, firstPubrec.type());
            assertEquals(MqttPackets.PUBREC, secondPubrec.type());
            assertEquals(0x93, disconnect.reasonCode());
        }
    }

    @Test
    void pubrelFreesInboundSlot() {
        try (RawMqttClient publisher = client("release")) {
            publisher.send(Mqtt5Packets.publish("release/t", "1", 2, 1, false, Mqtt5Properties.none()));
            publisher.send(Mqtt5Packets.publish("release/t", "2", 2, 2, false, Mqtt5Properties.none()));
            publisher.receive(MqttPackets.PUBREC);
            publisher.receive(MqttPackets.PUBREC);
            publisher.send(MqttPackets.pubrel(1));
            RawPacket pubcomp = publisher.receive(MqttPackets.PUBCOMP);
            publisher.send(Mqtt5Packets.publish("release/t", "3", 2, 3, false, Mqtt5Properties.none()));

            RawPacket pubrec = publisher.receive();

            assertEquals(1, pubcomp.packetId());
            assertEquals(MqttPackets.PUBREC, pubrec.type());
            assertEquals(3, pubrec.packetId());
        }
    }

    @Test
    void resentQos2AtLimitIsAccepted() {
        try (RawMqttClient publisher = client("resend")) {
            publisher.send(Mqtt5Packets.publish("resend/t", "1", 2, 1, false, Mqtt5Properties.none()));
            publisher.send(Mqtt5Packets.publish("resend/t", "2", 2, 2, false, Mqtt5Properties.none()));
            publisher.receive(MqttPackets.PUBREC);
            publisher.receive(MqttPackets.PUBREC);
            byte[] resend = Mqtt5Packets.publish("resend/t", "2", 2, 2, false, Mqtt5Properties.none());
            resend[0] |= 0x08;
            publisher.send(resend);

            RawPacket pubrec = publisher.receive();

            assertEquals(MqttPackets.PUBREC, pubrec.type());
            assertEquals(2, pubrec.packetId());
        }
    }

    @Test
    void qos1BeyondBrokerReceiveMaximumIsAcknowledged() {
        try (RawMqttClient publisher = client("qos1")) {
            for (int packetId = 1; packetId <= 5; packetId++) {
                publisher.send(Mqtt5Packets.publish("qos1/t", "x", 1, packetId, false, Mqtt5Properties.none()));
            }

            for (int packetId = 1; packetId <= 5; packetId++) {
                RawPacket puback = publisher.receive();
                assertEquals(MqttPackets.PUBACK, puback.type());
                assertEquals(packetId, puback.packetId());
            }
        }
    }

    @Test
    void hiveMqPublisherStaysWithinBrokerReceiveMaximum() throws InterruptedException {
        String topic = "hive/" + BROKER.clientId("t");
        Mqtt5BlockingClient subscriber = hiveMqClient("hive-sub");
        Mqtt5BlockingClient publisher = hiveMqClient("hive-pub");
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            subscriber.connect();
            publisher.connect();
            subscriber.subscribeWith().topicFilter(topic).qos(MqttQos.EXACTLY_ONCE).send();
            for (int i = 0; i < 10; i++) {
                publisher.toAsync().publishWith().topic(topic).qos(MqttQos.EXACTLY_ONCE)
                        .payload(("m" + i).getBytes(StandardCharsets.UTF_8)).send();
            }

            Set<String> received = new HashSet<>();
            for (int i = 0; i < 10; i++) {
                Optional<Mqtt5Publish> publish = publishes.receive(5, TimeUnit.SECONDS);
                assertTrue(publish.isPresent(), "received only " + received);
                received.add(new String(publish.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
            }

            assertEquals(10, received.size());
            assertTrue(publisher.getState().isConnected(), "publisher was disconnected");
        } finally {
            TestClients.disconnect(publisher);
            TestClients.disconnect(subscriber);
        }
    }

    private static RawMqttClient client(String prefix) {
        return Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId(prefix)));
    }

    private static RawMqttClient subscriber(String filter, int receiveMaximum, int qos) {
        RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("sub"))
                .properties(Mqtt5Properties.create().receiveMaximum(receiveMaximum)));
        Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), filter, qos);
        return client;
    }

    /** Connects with Clean Start 0 and a session that outlives the connection. */
    private static RawMqttClient persistentSubscriber(String clientId, int receiveMaximum) {
        return Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId).cleanStart(false)
                .properties(Mqtt5Properties.create().sessionExpiryInterval(300).receiveMaximum(receiveMaximum)));
    }

    /**
     * Subscribes a persistent session to {@code topic} at {@code qos}, publishes {@code count} messages
     * m1, m2 and so on at that QoS, receives them without acknowledging and disconnects. Returns the
     * PUBLISH packets received.
     */
    private static List<RawPacket> receiveWithoutAcknowledging(String clientId, String topic, int count, Qos qos) {
        List<RawPacket> received = new ArrayList<>();
        try (RawMqttClient subscriber = persistentSubscriber(clientId, 10)) {
            Mqtt5Packets.subscribeAndAwait(subscriber, 1, Mqtt5Properties.none(), topic, qos.value());
            for (int i = 1; i <= count; i++) {
                publish(topic, "m" + i, qos);
                received.add(subscriber.receive(MqttPackets.PUBLISH));
            }
            disconnect(subscriber);
        }
        return received;
    }

    /** Sends DISCONNECT and waits until the broker closed the connection, so the session is offline. */
    private static void disconnect(RawMqttClient client) {
        client.send(Mqtt5Packets.disconnect(0, Mqtt5Properties.none()));
        assertEquals(List.of(), client.receiveUntilClosed(Duration.ofSeconds(3)));
    }

    private static List<String> payloads(List<RawPacket> publishes) {
        return publishes.stream().map(publish -> publish.payload(MqttPackets.MQTT_5)).toList();
    }

    private static void publish(String topic, String payload, Qos qos) {
        BROKER.broker().publish(Message.builder(topic).payload(payload).qos(qos).build());
    }

    private static Mqtt5BlockingClient hiveMqClient(String prefix) {
        return MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId(prefix))
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
    }
}
