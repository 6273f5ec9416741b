package io.petrel.broker.protocol;

import static io.petrel.broker.testing.BrokerExtension.awaitIncrease;
import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static io.petrel.broker.testing.MqttPackets.MQTT_5;
import static io.petrel.broker.testing.MqttPackets.PUBLISH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Topic name and topic filter rules over raw sockets: wildcards only in filters and only in valid
 * places, well-formed UTF-8 without U+0000, and topics starting with {@code $} hidden from filters
 * that start with a wildcard.
 */
class TopicValidationTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

    /** "a/" followed by C3 28: a two-byte UTF-8 lead byte with an invalid continuation byte. */
    private static final byte[] INVALID_UTF8_TOPIC = {'a', '/', (byte) 0xC3, 0x28};

    @ParameterizedTest
    @ValueSource(strings = {"a/+", "a/#", "#", "+", "a/b+"})
    void wildcardTopicNameClosesConnection(String topic) {
        double before = BROKER.violations();

        List<RawPacket> packets = publishAndAwaitClose(MQTT_3_1_1, MqttPackets.publish(MQTT_3_1_1, topic, "x", 0, 0));

        assertEquals(List.of(), packets);
        awaitIncrease(BROKER::violations, before);
        BROKER.assertServesNewClient();
    }

    @Test
    void wildcardTopicNameIn5GetsDisconnect() {
        double before = BROKER.violations();

        List<RawPacket> packets = publishAndAwaitClose(MQTT_5, MqttPackets.publish(MQTT_5, "a/#", "x", 1, 3));

        assertEquals(1, packets.size(), "DISCONNECT, then close: " + packets);
        assertEquals(MqttPackets.DISCONNECT, packets.get(0).type());
        assertTrue(Set.of(0x90, 0x81, 0x82).contains(packets.get(0).reasonCode()),
                "expected topic name invalid (0x90), malformed packet or protocol error: " + packets.get(0));
        awaitIncrease(BROKER::violations, before);
        BROKER.assertServesNewClient();
    }

    @Test
    void invalidUtf8TopicClosesConnection() {
        double before = BROKER.violations();
        byte[] publish = MqttPackets.publish(MQTT_3_1_1, INVALID_UTF8_TOPIC, new byte[] {1}, 0, 0, false, false);

        List<RawPacket> packets = publishAndAwaitClose(MQTT_3_1_1, publish);

        assertEquals(List.of(), packets);
        awaitIncrease(BROKER::violations, before);
        BROKER.assertServesNewClient();
    }

    @Test
    void invalidUtf8TopicIn5GetsDisconnect81() {
        double before = BROKER.violations();
        byte[] publish = MqttPackets.publish(MQTT_5, INVALID_UTF8_TOPIC, new byte[] {1}, 0, 0, false, false);

        List<RawPacket> packets = publishAndAwaitClose(MQTT_5, publish);

        assertEquals(1, packets.size(), "DISCONNECT, then close: " + packets);
        assertEquals(MqttPackets.DISCONNECT, packets.get(0).type());
        assertEquals(0x81, packets.get(0).reasonCode(), "malformed packet");
        awaitIncrease(BROKER::violations, before);
        BROKER.assertServesNewClient();
    }

    @Test
    void nulInTopicNameClosesConnection() {
        double before = BROKER.violations();

        List<RawPacket> packets = publishAndAwaitClose(MQTT_3_1_1, MqttPackets.publish(MQTT_3_1_1, "a/\u0000/b", "x", 0, 0));

        assertEquals(List.of(), packets);
        awaitIncrease(BROKER::violations, before);
        BROKER.assertServesNewClient();
    }

    @Test
    void invalidFiltersFailWhileValidGranted() {
        double before = BROKER.violations();
        String topic = "valid/" + BROKER.clientId("filters");

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("filters")))) {
            RawPacket suback = client.subscribe(MQTT_3_1_1, 1, "a/#/b", topic, "a+", "#/a");
            client.send(MqttPackets.publish(MQTT_3_1_1, topic, "granted", 0, 0));

            assertEquals(List.of(0x80, 0x01, 0x80, 0x80), suback.subackCodes(MQTT_3_1_1));
            assertEquals("granted", client.receive(PUBLISH).payload(MQTT_3_1_1));
        }
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void invalidFiltersIn5Fail8F() {
        String topic = "valid5/" + BROKER.clientId("filters5");

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt5(BROKER.clientId("filters5")))) {
            RawPacket suback = client.subscribe(MQTT_5, 2, topic, "a/#/b", "a+");
            client.send(MqttPackets.publish(MQTT_5, topic, "granted", 0, 0));

            assertEquals(List.of(0x02, 0x8F, 0x8F), suback.subackCodes(MQTT_5));
            assertEquals("granted", client.receive(PUBLISH).payload(MQTT_5));
        }
    }

    @Test
    void dollarTopicsHiddenFromLeadingWildcards() {
        try (RawMqttClient everything = subscriber("#");
             RawMqttClient singleLevel = subscriber("+/x");
             RawMqttClient dollar = subscriber("$test/#");
             RawMqttClient publisher = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("dollarpub")))) {

            publisher.send(MqttPackets.publish(MQTT_3_1_1, "$test/x", "hidden", 0, 0));
            publisher.send(MqttPackets.publish(MQTT_3_1_1, "plain/x", "marker", 0, 0));

            assertEquals("$test/x", dollar.receive(PUBLISH).topic());
            assertEquals("plain/x", everything.receive(PUBLISH).topic(), "'#' must not match '$test/x'");
            assertEquals("plain/x", singleLevel.receive(PUBLISH).topic(), "'+/x' must not match '$test/x'");
        }
    }

    private static RawMqttClient subscriber(String filter) {
        RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("dollarsub")));
        assertEquals(List.of(0), client.subscribe(MQTT_3_1_1, 0, filter).subackCodes(MQTT_3_1_1));
        return client;
    }

    private static List<RawPacket> publishAndAwaitClose(int protocolLevel, byte[] publish) {
        ConnectPacket connect = protocolLevel == MQTT_5
                ? ConnectPacket.mqtt5(BROKER.clientId("topic5"))
                : ConnectPacket.mqtt311(BROKER.clientId("topic"));
        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), connect)) {
            client.send(publish);
            return client.receiveUntilClosed(CLOSE_TIMEOUT);
        }
    }
}
