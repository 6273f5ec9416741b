package io.petrel.broker.protocol;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static io.petrel.broker.testing.MqttPackets.PUBACK;
import static io.petrel.broker.testing.MqttPackets.PUBCOMP;
import static io.petrel.broker.testing.MqttPackets.PUBLISH;
import static io.petrel.broker.testing.MqttPackets.PUBREC;
import static io.petrel.broker.testing.MqttPackets.PUBREL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * QoS 0, 1 and 2 exchanges in both directions over raw MQTT 3.1.1 sockets, so that every
 * acknowledgement, flag and packet identifier can be checked.
 */
class QosFlowTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    @Test
    void qos0DeliveredWithoutAcknowledgement() {
        String topic = topic("qos0");
        try (RawMqttClient subscriber = subscriber(topic, 2);
             RawMqttClient publisher = client("pub0")) {
            publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "zero", 0, 0));

            RawPacket delivered = subscriber.receive();

            assertEquals(PUBLISH, delivered.type());
            assertEquals(0, delivered.qos());
            assertEquals("zero", delivered.payload(MQTT_3_1_1));
            assertTrue(publisher.ping(), "PINGRESP is the next packet: QoS 0 gets no acknowledgement");
        }
    }

    @Test
    void qos1AcknowledgedBothWays() {
        String topic = topic("qos1");
        try (RawMqttClient subscriber = subscriber(topic, 2);
             RawMqttClient publisher = client("pub1")) {
            publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "one", 1, 11));

            RawPacket puback = publisher.receive();
            RawPacket delivered = subscriber.receive();
            subscriber.send(MqttPackets.puback(delivered.publishPacketId()));

            assertEquals(PUBACK, puback.type());
            assertEquals(11, puback.packetId());
            assertEquals(PUBLISH, delivered.type());
            assertEquals(1, delivered.qos());
            assertFalse(delivered.dup());
            assertNotEquals(0, delivered.publishPacketId());
            assertEquals("one", delivered.payload(MQTT_3_1_1));
            assertTrue(subscriber.ping(), "no resend after PUBACK");
        }
    }

    @Test
    void qos2InboundExchangeCompletes() {
        String topic = topic("qos2in");
        try (RawMqttClient subscriber = subscriber(topic, 2);
             RawMqttClient publisher = client("pub2")) {
            publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "two", 2, 12));
            RawPacket pubrec = publisher.receive();
            publisher.send(MqttPackets.pubrel(12));
            RawPacket pubcomp = publisher.receive();

            assertEquals(PUBREC, pubrec.type());
            assertEquals(12, pubrec.packetId());
            assertEquals(PUBCOMP, pubcomp.type());
            assertEquals(12, pubcomp.packetId());
            assertEquals("two", subscriber.receive(PUBLISH).payload(MQTT_3_1_1));
        }
    }

    @Test
    void qos2OutboundExchangeCompletes() {
        String topic = topic("qos2out");
        try (RawMqttClient subscriber = subscriber(topic, 2);
             RawMqttClient publisher = client("pub2out")) {
            publishQos2(publisher, topic, "two", 13);

            RawPacket delivered = subscriber.receive();
            subscriber.send(MqttPackets.pubrec(delivered.publishPacketId()));
            RawPacket pubrel = subscriber.receive();
            subscriber.send(MqttPackets.pubcomp(pubrel.packetId()));

            assertEquals(PUBLISH, delivered.type());
            assertEquals(2, delivered.qos());
            assertEquals(PUBREL, pubrel.type());
            assertEquals(0b0010, pubrel.flags(), "PUBREL fixed header flags");
            assertEquals(delivered.publishPacketId(), pubrel.packetId());
            assertTrue(subscriber.ping(), "no resend after PUBCOMP");
        }
    }

    @ParameterizedTest(name = "published QoS {0}, granted QoS {1}")
    @CsvSource({"0,0", "0,1", "0,2", "1,0", "1,1", "1,2", "2,0", "2,1", "2,2"})
    void deliveredQosIsMinimum(int publishedQos, int grantedQos) {
        String topic = topic("min" + publishedQos + grantedQos);
        try (RawMqttClient subscriber = client("min");
             RawMqttClient publisher = client("minpub")) {
            RawPacket suback = subscriber.subscribe(MQTT_3_1_1, grantedQos, topic);
            publishAndComplete(publisher, topic, "m", publishedQos, 21);

            RawPacket delivered = subscriber.receive();

            assertEquals(List.of(grantedQos), suback.subackCodes(MQTT_3_1_1), "granted QoS");
            assertEquals(PUBLISH, delivered.type());
            assertEquals(Math.min(publishedQos, grantedQos), delivered.qos());
        }
    }

    @Test
    void duplicateQos2BeforePubrelDeliveredOnce() {
        String topic = topic("dup2");
        try (RawMqttClient subscriber = subscriber(topic, 0);
             RawMqttClient publisher = client("dup2pub")) {
            publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "once", 2, 7));
            assertEquals(PUBREC, publisher.receive().type());
            publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "once", 2, 7, true, false));
            RawPacket secondPubrec = publisher.receive();
            publisher.send(MqttPackets.pubrel(7));
            RawPacket pubcomp = publisher.receive();
            publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "marker", 0, 0));

            List<String> payloads = payloadsUntil(subscriber, "marker");

            assertEquals(PUBREC, secondPubrec.type(), "the duplicate is acknowledged again");
            assertEquals(7, secondPubrec.packetId());
            assertEquals(PUBCOMP, pubcomp.type());
            assertEquals(List.of("once", "marker"), payloads);
        }
    }

    @Test
    void overlappingSubscriptionsDeliverOnce() {
        String prefix = topic("overlap");
        try (RawMqttClient subscriber = client("overlap");
             RawMqttClient publisher = client("overlappub")) {
            subscriber.subscribe(MQTT_3_1_1, 0, prefix + "/#");
            subscriber.subscribe(MQTT_3_1_1, 2, prefix + "/b");
            publishQos2(publisher, prefix + "/b", "both", 31);
            publisher.send(MqttPackets.publish(MQTT_3_1_1, prefix + "/c", "marker", 0, 0));

            List<RawPacket> deliveries = new ArrayList<>();
            RawPacket packet;
            do {
                packet = subscriber.receive(PUBLISH);
                deliveries.add(packet);
                if (packet.qos() == 2) {
                    subscriber.send(MqttPackets.pubrec(packet.publishPacketId()));
                }
            } while (!packet.payload(MQTT_3_1_1).equals("marker"));

            assertEquals(2, deliveries.size(), "one delivery of 'both', then the marker: " + deliveries);
            assertEquals("both", deliveries.get(0).payload(MQTT_3_1_1));
            assertEquals(2, deliveries.get(0).qos());
        }
    }

    @Test
    void inflightMessagesGetDistinctPacketIds() {
        String topic = topic("ids");
        try (RawMqttClient subscriber = subscriber(topic, 1);
             RawMqttClient publisher = client("idspub")) {
            for (int i = 1; i <= 3; i++) {
                publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, "m" + i, 1, i));
            }

            Set<Integer> packetIds = new HashSet<>();
            for (int i = 1; i <= 3; i++) {
                RawPacket delivered = subscriber.receive(PUBLISH);
                assertEquals("m" + i, delivered.payload(MQTT_3_1_1), "order of delivery");
                assertNotEquals(0, delivered.publishPacketId());
                packetIds.add(delivered.publishPacketId());
            }

            assertEquals(3, packetIds.size(), "unacknowledged messages share a packet id: " + packetIds);
            packetIds.forEach(id -> subscriber.send(MqttPackets.puback(id)));
        }
    }

    @Test
    void unsubscribeStopsDelivery() {
        String stopped = topic("unsub");
        String kept = topic("kept");
        try (RawMqttClient subscriber = client("unsub");
             RawMqttClient publisher = client("unsubpub")) {
            subscriber.subscribe(MQTT_3_1_1, 0, stopped, kept);
            subscriber.send(MqttPackets.unsubscribe(MQTT_3_1_1, 41, stopped));
            RawPacket unsuback = subscriber.receive();
            publisher.send(MqttPackets.publish(MQTT_3_1_1, stopped, "gone", 0, 0));
            publisher.send(MqttPackets.publish(MQTT_3_1_1, kept, "marker", 0, 0));

            assertEquals(MqttPackets.UNSUBACK, unsuback.type());
            assertEquals(41, unsuback.packetId());
            assertEquals("marker", subscriber.receive(PUBLISH).payload(MQTT_3_1_1));
        }
    }

    @Test
    void pingreqAnsweredWithPingresp() {
        try (RawMqttClient client = client("ping")) {
            client.send(MqttPackets.pingreq());

            RawPacket pingresp = client.receive();

            assertEquals(MqttPackets.PINGRESP, pingresp.type());
            assertEquals(0, pingresp.body().length);
        }
    }

    @Test
    void disconnectClosesConnection() {
        try (RawMqttClient client = client("bye")) {
            client.send(MqttPackets.disconnect());

            assertEquals(List.of(), client.receiveUntilClosed(Duration.ofSeconds(3)));
        }
    }

    private static String topic(String name) {
        return "qos/" + BROKER.clientId(name);
    }

    private static RawMqttClient client(String name) {
        return RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId(name)));
    }

    private static RawMqttClient subscriber(String filter, int qos) {
        RawMqttClient client = client("sub");
        assertEquals(List.of(qos), client.subscribe(MQTT_3_1_1, qos, filter).subackCodes(MQTT_3_1_1));
        return client;
    }

    /** Publishes at QoS 2 and completes PUBREC, PUBREL, PUBCOMP. */
    private static void publishQos2(RawMqttClient publisher, String topic, String payload, int packetId) {
        publishAndComplete(publisher, topic, payload, 2, packetId);
    }

    /** Publishes at any QoS and completes the acknowledgements that QoS requires. */
    private static void publishAndComplete(RawMqttClient publisher, String topic, String payload, int qos, int packetId) {
        publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, payload, qos, packetId));
        if (qos == 1) {
            assertEquals(PUBACK, publisher.receive(PUBACK).type());
        } else if (qos == 2) {
            assertEquals(packetId, publisher.receive(PUBREC).packetId());
            publisher.send(MqttPackets.pubrel(packetId));
            assertEquals(packetId, publisher.receive(PUBCOMP).packetId());
        }
    }

    /** Reads PUBLISH packets until one carries {@code lastPayload}; acknowledges QoS 1 and 2 deliveries. */
    private static List<String> payloadsUntil(RawMqttClient subscriber, String lastPayload) {
        List<String> payloads = new ArrayList<>();
        String payload;
        do {
            RawPacket packet = subscriber.receive(PUBLISH);
            if (packet.qos() == 1) {
                subscriber.send(MqttPackets.puback(packet.publishPacketId()));
            } else if (packet.qos() == 2) {
                subscriber.send(MqttPackets.pubrec(packet.publishPacketId()));
            }
            payload = packet.payload(MQTT_3_1_1);
            payloads.add(payload);
        } while (!payload.equals(lastPayload));
        return payloads;
    }
}
