package io.petrel.broker.session;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static io.petrel.broker.testing.MqttPackets.MQTT_5;
import static io.petrel.broker.testing.MqttPackets.PUBACK;
import static io.petrel.broker.testing.MqttPackets.PUBCOMP;
import static io.petrel.broker.testing.MqttPackets.PUBLISH;
import static io.petrel.broker.testing.MqttPackets.PUBREC;
import static io.petrel.broker.testing.MqttPackets.PUBREL;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.routing.StoreWriteException;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The message records the broker hands to its session store for persistent sessions, in which order,
 * and the publisher's acknowledgement waiting for them.
 */
class SessionMessageRecordsTest {

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);
    /** Long enough for an acknowledgement that was sent at once to arrive over loopback. */
    private static final Duration NO_ACK_WAIT = Duration.ofMillis(300);

    @Test
    void qos1DeliveryRecordsQueuedSentRemoved() {
        MessageRecordingStore store = new MessageRecordingStore();
        try (PetrelBroker broker = start(store);
             RawMqttClient subscriber = connect(broker, "sub", false);
             RawMqttClient publisher = connect(broker, "pub", true)) {
            subscriber.subscribe(MQTT_3_1_1, 1, "r/t");
            publisher.send(MqttPackets.publish(MQTT_3_1_1, "r/t", "one", 1, 3));
            assertEquals(3, publisher.receive(PUBACK).packetId());
            RawPacket delivered = subscriber.receive(PUBLISH);
            subscriber.send(MqttPackets.puback(delivered.publishPacketId()));
            await().atMost(Duration.ofSeconds(5)).until(() -> store.records.contains("removed sub #1"));

            assertEquals(List.of("queued sub #1 r/t 1", "sent sub #1 " + delivered.publishPacketId(), "removed sub #1"),
                    store.messageRecords());
        }
    }

    @Test
    void qos2DeliveryRecordsRelease() {
        MessageRecordingStore store = new MessageRecordingStore();
        try (PetrelBroker broker = start(store);
             RawMqttClient subscriber = connect(broker, "sub", false);
             RawMqttClient publisher = connect(broker, "pub", true)) {
            subscriber.subscribe(MQTT_3_1_1, 2, "r/t");
            publisher.send(MqttPackets.publish(MQTT_3_1_1, "r/t", "two", 2, 4));
            assertEquals(4, publisher.receive(PUBREC).packetId());
            RawPacket delivered = subscriber.receive(PUBLISH);
            int packetId = delivered.publishPacketId();
            subscriber.send(MqttPackets.pubrec(packetId));
            assertEquals(packetId, subscriber.receive(PUBREL).packetId());
            subscriber.send(MqttPackets.pubcomp(packetId));
            await().atMost(Duration.ofSeconds(5)).until(() -> store.records.contains("removed sub #1"));

            assertEquals(List.of("queued sub #1 r/t 2", "sent sub #1 " + packetId, "released sub #1", "removed sub #1"),
                    store.messageRecords());
        }
    }

    @Test
    void storedMessageIsAsDelivered() {
        MessageRecordingStore store = new MessageRecordingStore();
        try (PetrelBroker broker = start(store);
             RawMqttClient subscriber = connect(broker, "sub", false)) {
            subscriber.subscribe(MQTT_3_1_1, 1, "d/t");
            broker.publish(Message.builder("d/t").payload("x").qos(Qos.EXACTLY_ONCE).build())
                    .toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).join();

            Message stored = store.queuedMessages.get(0);
            assertEquals(Qos.AT_LEAST_ONCE, stored.qos(), "QoS granted to the subscription");
            assertEquals("x", stored.payloadAsString());
        }
    }

    @Test
    void offlineMessagesDroppedWithSession() {
        MessageRecordingStore store = new MessageRecordingStore();
        try (PetrelBroker broker = start(store)) {
            try (RawMqttClient subscriber = connect(broker, "sub", false)) {
                subscriber.subscribe(MQTT_3_1_1, 1, "o/t");
                disconnect(subscriber);
            }
            publishLocal(broker, "o/t", "first");
            publishLocal(broker, "o/t", "second");
            try (RawMqttClient subscriber = connect(broker, "sub", true)) {
                disconnect(subscriber);
            }
        }

        // A clean start ends the session: the store drops its messages with the end record alone.
        assertEquals(List.of("queued sub #1 o/t 1", "queued sub #2 o/t 1", "ended sub"), store.messageRecords());
        assertEquals(List.of(), store.identifierViolations);
    }

    @Test
    void cleanSessionWritesNoMessageRecords() {
        MessageRecordingStore store = new MessageRecordingStore();
        try (PetrelBroker broker = start(store);
             RawMqttClient subscriber = connect(broker, "clean", true)) {
            subscriber.subscribe(MQTT_3_1_1, 2, "c/t");
            publishLocal(broker, "c/t", "one");
            RawPacket delivered = subscriber.receive(PUBLISH);
            subscriber.send(MqttPackets.pubrec(delivered.publishPacketId()));
            subscriber.receive(PUBREL);
            subscriber.send(MqttPackets.pubcomp(delivered.publishPacketId()));
            assertTrue(subscriber.ping(), "connection open after the QoS 2 exchange");
        }

        assertEquals(List.of(), store.records);
    }

    @Test
    void pubAckWaitsForQueuedRecord() {
        MessageRecordingStore store = new MessageRecordingStore();
        store.queuedWrite = new CompletableFuture<>();
        try (PetrelBroker broker = start(store);
             RawMqttClient subscriber = connect(broker, "sub", false);
             RawMqttClient publisher = connect(broker, "pub", true)) {
            subscriber.subscribe(MQTT_3_1_1, 1, "w/t");
            publisher.send(MqttPackets.publish(MQTT_3_1_1, "w/t", "one", 1, 5));

            assertThrows(AssertionError.class, () -> publisher.receive(NO_ACK_WAIT), "PUBACK before the record");
            store.queuedWrite.complete(null);
            assertEquals(5, publisher.receive(PUBACK).packetId());
        }
    }

    @Test
    void sharedGroupPickWaitsForQueuedRecord() {
        MessageRecordingStore store = new MessageRecordingStore();
        store.queuedWrite = new CompletableFuture<>();
        try (PetrelBroker broker = start(store);
             RawMqttClient subscriber = connect(broker, "member", false);
             RawMqttClient publisher = connect(broker, "pub", true)) {
            subscriber.subscribe(MQTT_3_1_1, 1, "$share/g/s/t");
            publisher.send(MqttPackets.publish(MQTT_3_1_1, "s/t", "one", 1, 6));

            assertThrows(AssertionError.class, () -> publisher.receive(NO_ACK_WAIT), "PUBACK before the record");
            store.queuedWrite.complete(null);
            assertEquals(6, publisher.receive(PUBACK).packetId());
            assertEquals(List.of("queued member #1 s/t 1"), store.messageRecords().subList(0, 1));
        }
    }

    @Test
    void sharedHandOffMovesRecord() {
        MessageRecordingStore store = new MessageRecordingStore();
        try (PetrelBroker broker = start(store)) {
            try (RawMqttClient other = connect(broker, "other", false)) {
                other.subscribe(MQTT_3_1_1, 1, "$share/g/h/t");
                disconnect(other);
            }
            try (RawMqttClient member = connect(broker, "member", false)) {
                member.subscribe(MQTT_3_1_1, 1, "$share/g/h/t");
                // The online member gets the message and sends no PUBACK.
                publishLocal(broker, "h/t", "one");
                member.receive(PUBLISH);
                disconnect(member);
            }
        }

        List<String> records = store.messageRecords();
        assertEquals("queued member #1 h/t 1", records.get(0));
        assertTrue(records.get(1).startsWith("sent member #1 "), "sent record: " + records);
        assertEquals(List.of("queued other #1 h/t 1", "removed member #1"), records.subList(2, 4));
    }

    @Test
    void tooLargeMessageRemoved() {
        MessageRecordingStore store = new MessageRecordingStore();
        try (PetrelBroker broker = start(store);
             RawMqttClient subscriber = Mqtt5Packets.connect(broker.port(), Mqtt5Packets.connect("small")
                     .cleanStart(false).properties(Mqtt5Properties.create().sessionExpiryInterval(60)
                             .maximumPacketSize(64)))) {
            Mqtt5Packets.subscribeAndAwait(subscriber, 1, Mqtt5Properties.none(), "big/t", 1);
            publishLocal(broker, "big/t", "x".repeat(200));
            publishLocal(broker, "big/t", "fits");

            assertEquals("fits", subscriber.receive(PUBLISH).payload(MQTT_5));
            List<String> records = store.messageRecords();
            int queued = records.indexOf("queued small #1 big/t 1");
            int removed = records.indexOf("removed small #1");

            assertTrue(queued >= 0, "queued record: " + records);
            assertTrue(removed > queued, "removed record after the queued one: " + records);
            assertFalse(records.stream().anyMatch(line -> line.startsWith("sent small #1 ")),
                    "sent record of the dropped message: " + records);
        }
    }

    @Test
    void pubRecWaitsForInboundRecord() {
        MessageRecordingStore store = new MessageRecordingStore();
        store.inboundWrite = new CompletableFuture<>();
        try (PetrelBroker broker = start(store);
             RawMqttClient publisher = connect(broker, "pub", false)) {
            publisher.send(MqttPackets.publish(MQTT_3_1_1, "i/t", "one", 2, 9));

            assertThrows(AssertionError.class, () -> publisher.receive(NO_ACK_WAIT), "PUBREC before the record");
            store.inboundWrite.complete(null);
            assertEquals(9, publisher.receive(PUBREC).packetId());
            publisher.send(MqttPackets.pubrel(9));
            assertEquals(9, publisher.receive(PUBCOMP).packetId());
        }

        assertEquals(List.of("inbound pub 9", "inbound-released pub 9"), store.messageRecords());
    }

    @Test
    void failedQueuedRecordAnswers0x97ToMqtt5() {
        MessageRecordingStore store = new MessageRecordingStore();
        store.queuedWrite = CompletableFuture.failedFuture(new IOException("disk full"));
        try (PetrelBroker broker = start(store);
             RawMqttClient subscriber = connect(broker, "sub", false);
             RawMqttClient publisher = RawMqttClient.connect(broker.port(), ConnectPacket.mqtt5("pub5"))) {
            subscriber.subscribe(MQTT_3_1_1, 1, "f/t");
            publisher.send(MqttPackets.publish(MQTT_5, "f/t", "one", 1, 7));
            RawPacket ack = publisher.receive(PUBACK);

            assertEquals(7, ack.packetId());
            assertEquals(0x97, ack.reasonCode());
            assertEquals("f/t", subscriber.receive(PUBLISH).topic(), "delivered in memory despite the failure");
        }
    }

    @Test
    void failedQueuedRecordClosesMqtt311Publisher() {
        MessageRecordingStore store = new MessageRecordingStore();
        store.queuedWrite = CompletableFuture.failedFuture(new IOException("disk full"));
        try (PetrelBroker broker = start(store);
             RawMqttClient subscriber = connect(broker, "sub", false);
             RawMqttClient publisher = connect(broker, "pub", true)) {
            subscriber.subscribe(MQTT_3_1_1, 1, "f/t");
            publisher.send(MqttPackets.publish(MQTT_3_1_1, "f/t", "one", 1, 8));
            List<RawPacket> received = publisher.receiveUntilClosed(CLOSE_TIMEOUT);

            assertTrue(received.stream().noneMatch(packet -> packet.type() == PUBACK), "no PUBACK: " + received);
        }
    }

    @Test
    void failedInboundRecordEndsQos2Exchange() {
        MessageRecordingStore store = new MessageRecordingStore();
        store.inboundWrite = CompletableFuture.failedFuture(new IOException("disk full"));
        try (PetrelBroker broker = start(store);
             RawMqttClient publisher = RawMqttClient.connect(broker.port(),
                     ConnectPacket.mqtt5("pub5").cleanSession(false).sessionExpirySeconds(60))) {
            publisher.send(MqttPackets.publish(MQTT_5, "i/t", "one", 2, 10));
            RawPacket rejected = publisher.receive(PUBREC);
            store.inboundWrite = null;
            publisher.send(MqttPackets.publish(MQTT_5, "i/t", "two", 2, 10));
            RawPacket accepted = publisher.receive(PUBREC);

            assertEquals(0x97, rejected.reasonCode());
            assertEquals(0x10, accepted.reasonCode(), "new message with the reused packet identifier");
        }
    }

    @Test
    void localPublishWaitsForQueuedRecord() {
        MessageRecordingStore store = new MessageRecordingStore();
        store.queuedWrite = new CompletableFuture<>();
        try (PetrelBroker broker = start(store);
             RawMqttClient subscriber = connect(broker, "sub", false)) {
            subscriber.subscribe(MQTT_3_1_1, 1, "l/t");
            CompletableFuture<Void> published = broker.publish(Message.builder("l/t").payload("x")
                    .qos(Qos.AT_LEAST_ONCE).build()).toCompletableFuture();

            assertFalse(published.isDone(), "publish completed before the record was written");
            store.queuedWrite.complete(null);
            published.orTimeout(5, TimeUnit.SECONDS).join();
        }
    }

    @Test
    void localPublishFailsWithFailedQueuedRecord() {
        MessageRecordingStore store = new MessageRecordingStore();
        store.queuedWrite = CompletableFuture.failedFuture(new IOException("disk full"));
        try (PetrelBroker broker = start(store);
             RawMqttClient subscriber = connect(broker, "sub", false)) {
            subscriber.subscribe(MQTT_3_1_1, 1, "l/t");
            CompletableFuture<Void> published = broker.publish(Message.builder("l/t").payload("x")
                    .qos(Qos.AT_LEAST_ONCE).build()).toCompletableFuture();
            CompletionException failure = assertThrows(CompletionException.class,
                    () -> published.orTimeout(5, TimeUnit.SECONDS).join());

            assertInstanceOf(StoreWriteException.class, failure.getCause());
        }
    }

    private static PetrelBroker start(MessageRecordingStore store) {
        PetrelBroker broker = PetrelBroker.builder().config(BrokerExtension.testConfig().build())
                .sessionStore(store).build();
        broker.start();
        return broker;
    }

    private static RawMqttClient connect(PetrelBroker broker, String clientId, boolean cleanSession) {
        return RawMqttClient.connect(broker.port(), ConnectPacket.mqtt311(clientId).cleanSession(cleanSession));
    }

    private static void publishLocal(PetrelBroker broker, String topic, String payload) {
        broker.publish(Message.builder(topic).payload(payload).qos(Qos.AT_LEAST_ONCE).build())
                .toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).join();
    }

    /** Sends DISCONNECT and waits until the broker has closed the connection, so the session is offline. */
    private static void disconnect(RawMqttClient client) {
        client.send(MqttPackets.disconnect());
        assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
    }
}
