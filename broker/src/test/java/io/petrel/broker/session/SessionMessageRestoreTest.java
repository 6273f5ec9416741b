package io.petrel.broker.session;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static io.petrel.broker.testing.MqttPackets.PUBCOMP;
import static io.petrel.broker.testing.MqttPackets.PUBLISH;
import static io.petrel.broker.testing.MqttPackets.PUBREC;
import static io.petrel.broker.testing.MqttPackets.PUBREL;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;
import io.petrel.api.store.StoredSession;
import io.petrel.api.store.StoredSessionMessage;
import io.petrel.api.store.StoredSubscription;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Sessions that the broker restores at start from the messages and incoming QoS 2 identifiers of its
 * session store, and what a client that resumes such a session receives.
 */
class SessionMessageRestoreTest {

    private static final Duration NOTHING_WAIT = Duration.ofMillis(300);

    @Test
    void storedMessagesResentInOrder() {
        long now = System.currentTimeMillis();
        // Listed out of order: the broker restores them by message identifier.
        MessageRecordingStore store = new MessageRecordingStore(List.of(new StoredSession("sub", 600, now,
                List.of(subscription("m/#")), List.of(
                        new StoredSessionMessage(4, message("m/4", Qos.AT_LEAST_ONCE), now, 0, false),
                        new StoredSessionMessage(1, message("m/1", Qos.AT_LEAST_ONCE), now, 7, false),
                        new StoredSessionMessage(3, message("m/3", Qos.EXACTLY_ONCE), now, 0, false),
                        new StoredSessionMessage(2, message("m/2", Qos.EXACTLY_ONCE), now, 8, true)),
                List.of())));
        try (PetrelBroker broker = start(store);
             RawMqttClient client = connect(broker, "sub")) {
            RawPacket inflight = client.receive();
            RawPacket release = client.receive();
            RawPacket queuedQos2 = client.receive();
            RawPacket queuedQos1 = client.receive();

            assertTrue(client.connack().sessionPresent(), "session present");
            assertEquals(List.of("PUBLISH m/1 7 dup", "PUBREL 8"), List.of(describe(inflight), describe(release)));
            assertEquals("m/3", queuedQos2.topic());
            assertEquals(2, queuedQos2.qos());
            assertFalse(queuedQos2.dup(), "DUP on a message sent for the first time");
            assertEquals("m/4", queuedQos1.topic());
        }
    }

    @Test
    void restoredSessionContinuesMessageIds() {
        long now = System.currentTimeMillis();
        MessageRecordingStore store = new MessageRecordingStore(List.of(new StoredSession("sub", 600, now,
                List.of(subscription("m/#")),
                List.of(new StoredSessionMessage(41, message("m/41", Qos.AT_LEAST_ONCE), now, 0, false)), List.of())));
        try (PetrelBroker broker = start(store);
             RawMqttClient client = connect(broker, "sub")) {
            RawPacket restored = client.receive(PUBLISH);
            client.send(MqttPackets.puback(restored.publishPacketId()));
            await().atMost(Duration.ofSeconds(5)).until(() -> store.records.contains("removed sub #1"));
            broker.publish(message("m/new", Qos.AT_LEAST_ONCE));
            RawPacket live = client.receive(PUBLISH);
            client.send(MqttPackets.puback(live.publishPacketId()));
            await().atMost(Duration.ofSeconds(5)).until(() -> store.records.contains("removed sub #2"));

            assertEquals(List.of(
                    "sent sub #1 " + restored.publishPacketId(),
                    "removed sub #1",
                    "queued sub #2 m/new 1",
                    "sent sub #2 " + live.publishPacketId(),
                    "removed sub #2"), store.messageRecords());
            assertEquals(List.of(), store.identifierViolations);
        }
    }

    @Test
    void releasedMessageCompletesWithPubComp() {
        long now = System.currentTimeMillis();
        MessageRecordingStore store = new MessageRecordingStore(List.of(new StoredSession("sub", 600, now,
                List.of(), List.of(new StoredSessionMessage(5, message("m/5", Qos.EXACTLY_ONCE), now, 12, true)),
                List.of())));
        try (PetrelBroker broker = start(store);
             RawMqttClient client = connect(broker, "sub")) {
            assertEquals(12, client.receive(PUBREL).packetId());
            client.send(MqttPackets.pubcomp(12));
            await().atMost(Duration.ofSeconds(5)).until(() -> store.records.contains("removed sub #1"));

            assertEquals(List.of("removed sub #1"), store.messageRecords());
        }
    }

    @Test
    void expiredStoredMessageNotSent() {
        long now = System.currentTimeMillis();
        Message expiring = Message.builder("m/old").payload("old").qos(Qos.AT_LEAST_ONCE)
                .messageExpiryIntervalSeconds(10).build();
        Message alive = Message.builder("m/young").payload("young").qos(Qos.AT_LEAST_ONCE)
                .messageExpiryIntervalSeconds(60).build();
        MessageRecordingStore store = new MessageRecordingStore(List.of(new StoredSession("sub", 600, now,
                List.of(), List.of(new StoredSessionMessage(1, expiring, now - 11_000, 0, false),
                        new StoredSessionMessage(2, alive, now - 11_000, 0, false)), List.of())));
        try (PetrelBroker broker = start(store);
             RawMqttClient client = RawMqttClient.connect(broker.port(),
                     ConnectPacket.mqtt5("sub").cleanSession(false).sessionExpirySeconds(600))) {
            RawPacket received = client.receive(PUBLISH);

            assertEquals("m/young", received.topic());
            assertTrue(store.records.contains("removed sub #1"), "expired message removed: " + store.records);
        }
    }

    @Test
    void inboundQos2NotRoutedTwice() {
        long now = System.currentTimeMillis();
        MessageRecordingStore store = new MessageRecordingStore(List.of(
                new StoredSession("pub", 600, now, List.of(), List.of(), List.of(9))));
        try (PetrelBroker broker = start(store);
             RawMqttClient subscriber = RawMqttClient.connect(broker.port(), ConnectPacket.mqtt311("watcher"));
             RawMqttClient publisher = connect(broker, "pub")) {
            subscriber.subscribe(MQTT_3_1_1, 2, "q/t");
            publisher.send(MqttPackets.publish(MQTT_3_1_1, "q/t", "resent", 2, 9, true, false));
            assertEquals(9, publisher.receive(PUBREC).packetId());

            assertThrows(AssertionError.class, () -> subscriber.receive(NOTHING_WAIT), "resent QoS 2 message routed");
            publisher.send(MqttPackets.pubrel(9));
            assertEquals(9, publisher.receive(PUBCOMP).packetId());
            publisher.send(MqttPackets.publish(MQTT_3_1_1, "q/t", "new", 2, 9));
            assertEquals(9, publisher.receive(PUBREC).packetId());
            assertEquals("new", subscriber.receive(PUBLISH).payload(MQTT_3_1_1), "new message after PUBREL");
        }
    }

    private static PetrelBroker start(MessageRecordingStore store) {
        PetrelBroker broker = PetrelBroker.builder().config(BrokerExtension.testConfig().build())
                .sessionStore(store).build();
        broker.start();
        return broker;
    }

    private static RawMqttClient connect(PetrelBroker broker, String clientId) {
        return RawMqttClient.connect(broker.port(), ConnectPacket.mqtt311(clientId).cleanSession(false));
    }

    private static StoredSubscription subscription(String filter) {
        return new StoredSubscription(filter, Qos.EXACTLY_ONCE, false, false, RetainHandling.SEND_ON_SUBSCRIBE, 0);
    }

    private static Message message(String topic, Qos qos) {
        return Message.builder(topic).payload(topic).qos(qos).build();
    }

    private static String describe(RawPacket packet) {
        if (packet.type() == PUBLISH) {
            return "PUBLISH " + packet.topic() + " " + packet.publishPacketId() + (packet.dup() ? " dup" : "");
        }
        return packet.typeName() + " " + packet.packetId();
    }
}
