package io.petrel.broker.protocol;

import static io.petrel.broker.testing.BrokerExtension.awaitIncrease;
import static io.petrel.broker.testing.MqttPackets.CONNACK;
import static io.petrel.broker.testing.MqttPackets.DISCONNECT;
import static io.petrel.broker.testing.MqttPackets.MQTT_5;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CONNECT handling over raw sockets: protocol name and level, connect flags, client identifier
 * rules, packets out of order and the connect timeout. Every rejection must be counted and must
 * leave the broker serving new clients.
 */
class ConnectValidationTest {

    private static final int CONNECT_TIMEOUT_MILLIS = 500;

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config.connectTimeoutMillis(CONNECT_TIMEOUT_MILLIS));

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

    @AfterEach
    void brokerStillServesClients() {
        BROKER.assertServesNewClient();
    }

    @Test
    void unsupportedProtocolLevelGetsConnack01() {
        double before = BROKER.violations("unsupported_protocol_version");

        List<RawPacket> packets = sendAndAwaitClose(ConnectPacket.mqtt311(BROKER.clientId("level6")).protocolLevel(6));

        assertEquals(1, packets.size(), "one CONNACK, then close: " + packets);
        assertEquals(CONNACK, packets.get(0).type());
        // The broker cannot know how a level 6 client frames its packets, so the 5.0 code 0x84 is also allowed.
        assertTrue(Set.of(0x01, 0x84).contains(packets.get(0).connackCode()), "return code: " + packets.get(0));
        awaitIncrease(() -> BROKER.violations("unsupported_protocol_version"), before);
    }

    @Test
    void unknownProtocolNameGetsConnack01() {
        double before = BROKER.violations("unsupported_protocol_version");

        List<RawPacket> packets = sendAndAwaitClose(ConnectPacket.mqtt311(BROKER.clientId("mqtx")).protocolName("MQTX"));

        assertEquals(1, packets.size(), "one CONNACK, then close: " + packets);
        assertEquals(CONNACK, packets.get(0).type());
        assertEquals(0x01, packets.get(0).connackCode());
        awaitIncrease(() -> BROKER.violations("unsupported_protocol_version"), before);
    }

    @Test
    void reservedConnectFlagClosesConnection() {
        double before = BROKER.violations();

        List<RawPacket> packets = sendAndAwaitClose(ConnectPacket.mqtt311(BROKER.clientId("reserved")).reservedFlag(true));

        assertNoSuccessfulConnack(packets);
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void reservedConnectFlag5RejectedAsMalformed() {
        double before = BROKER.violations();

        List<RawPacket> packets = sendAndAwaitClose(ConnectPacket.mqtt5(BROKER.clientId("reserved5")).reservedFlag(true));

        assertAtMostConnackWith(packets, Set.of(0x81));
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void overlongRemainingLength5RejectedAsMalformed() {
        double before = BROKER.violations();
        byte[] overlong = MqttPackets.withOverlongLength(ConnectPacket.mqtt5(BROKER.clientId("overlong5")).toBytes());

        List<RawPacket> packets;
        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(overlong);
            packets = client.receiveUntilClosed(CLOSE_TIMEOUT);
        }

        assertAtMostConnackWith(packets, Set.of(0x81));
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void willQos3ClosesConnection() {
        double before = BROKER.violations();

        List<RawPacket> packets = sendAndAwaitClose(ConnectPacket.mqtt311(BROKER.clientId("willqos3")).will("will/t", "x", 3, false));

        assertNoSuccessfulConnack(packets);
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void willQos3In5RejectedAsMalformed() {
        double before = BROKER.violations();

        List<RawPacket> packets = sendAndAwaitClose(ConnectPacket.mqtt5(BROKER.clientId("willqos3v5")).will("will/t", "x", 3, false));

        assertAtMostConnackWith(packets, Set.of(0x81, 0x82));
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void willQosWithoutWillFlagClosesConnection() {
        double before = BROKER.violations();

        List<RawPacket> packets = sendAndAwaitClose(ConnectPacket.mqtt311(BROKER.clientId("willqos")).willBitsWithoutWill(1, false));

        assertNoSuccessfulConnack(packets);
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void willRetainWithoutWillFlagClosesConnection() {
        double before = BROKER.violations();

        List<RawPacket> packets = sendAndAwaitClose(ConnectPacket.mqtt311(BROKER.clientId("willret")).willBitsWithoutWill(0, true));

        assertNoSuccessfulConnack(packets);
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void willBitsWithoutWillFlagIn5Rejected() {
        double before = BROKER.violations();

        List<RawPacket> packets = sendAndAwaitClose(ConnectPacket.mqtt5(BROKER.clientId("willbits5")).willBitsWithoutWill(2, true));

        assertAtMostConnackWith(packets, Set.of(0x81, 0x82));
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void passwordWithoutUsernameClosesConnection() {
        double before = BROKER.violations();

        List<RawPacket> packets = sendAndAwaitClose(ConnectPacket.mqtt311(BROKER.clientId("pwonly")).password("secret"));

        assertNoSuccessfulConnack(packets);
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void emptyClientIdWithCleanSessionAccepted() {
        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(ConnectPacket.mqtt311("").cleanSession(true).toBytes());

            RawPacket connack = client.receive();

            assertEquals(CONNACK, connack.type());
            assertEquals(0x00, connack.connackCode());
            assertTrue(client.ping(), "the connection stays usable");
        }
    }

    @Test
    void emptyClientIdWithoutCleanSessionRejected() {
        double before = BROKER.violations("client_id_rejected");

        List<RawPacket> packets = sendAndAwaitClose(ConnectPacket.mqtt311("").cleanSession(false));

        assertEquals(1, packets.size(), "one CONNACK, then close: " + packets);
        assertEquals(CONNACK, packets.get(0).type());
        assertEquals(0x02, packets.get(0).connackCode(), "identifier rejected");
        awaitIncrease(() -> BROKER.violations("client_id_rejected"), before);
    }

    @Test
    void emptyClientId5GetsAssignedIdentifier() {
        String first = connectAndReadAssignedId();
        String second = connectAndReadAssignedId();

        assertFalse(first.isEmpty(), "assigned identifier must not be empty");
        assertNotEquals(first, second, "each connection gets its own identifier");
    }

    @Test
    void mqtt31ConnectAccepted() {
        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt31(BROKER.clientId("v31")))) {
            RawPacket suback = client.subscribe(MqttPackets.MQTT_3_1, 1, "v31/t");
            client.send(MqttPackets.publish(MqttPackets.MQTT_3_1, "v31/t", "old", 1, 5));

            List<RawPacket> packets = List.of(client.receive(), client.receive());

            assertEquals(List.of(1), suback.subackCodes(MqttPackets.MQTT_3_1));
            assertTrue(packets.stream().anyMatch(packet -> packet.type() == MqttPackets.PUBACK), "PUBACK: " + packets);
            assertTrue(packets.stream().anyMatch(packet -> packet.type() == MqttPackets.PUBLISH
                    && packet.payload(MqttPackets.MQTT_3_1).equals("old")), "PUBLISH 'old': " + packets);
        }
    }

    @Test
    void nulCharacterInClientIdRejected() {
        double before = BROKER.violations();

        List<RawPacket> packets = sendAndAwaitClose(ConnectPacket.mqtt311("nul\u0000id"));

        assertNoSuccessfulConnack(packets);
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void secondConnectIn5GetsDisconnect82() {
        double before = BROKER.violations();
        ConnectPacket connect = ConnectPacket.mqtt5(BROKER.clientId("twice5"));

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), connect)) {
            client.send(connect.toBytes());
            List<RawPacket> packets = client.receiveUntilClosed(CLOSE_TIMEOUT);

            assertEquals(1, packets.size(), "DISCONNECT, then close: " + packets);
            assertEquals(DISCONNECT, packets.get(0).type());
            assertEquals(0x82, packets.get(0).reasonCode(), "protocol error");
        }
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void pingreqBeforeConnectClosesConnection() {
        double before = BROKER.violations();

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(MqttPackets.pingreq());
            List<RawPacket> packets = client.receiveUntilClosed(CLOSE_TIMEOUT);

            assertEquals(List.of(), packets);
        }
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void silentConnectionClosedAfterConnectTimeout() {
        double before = BROKER.violations("connect_timeout");

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            long start = System.nanoTime();
            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(3));
            Duration open = Duration.ofNanos(System.nanoTime() - start);

            assertEquals(List.of(), packets);
            assertTrue(open.toMillis() >= CONNECT_TIMEOUT_MILLIS - 100,
                    "closed after " + open + ", before the " + CONNECT_TIMEOUT_MILLIS + " ms connect timeout");
        }
        awaitIncrease(() -> BROKER.violations("connect_timeout"), before);
    }

    private static List<RawPacket> sendAndAwaitClose(ConnectPacket connect) {
        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(connect.toBytes());
            return client.receiveUntilClosed(CLOSE_TIMEOUT);
        }
    }

    private static String connectAndReadAssignedId() {
        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(ConnectPacket.mqtt5("").toBytes());
            RawPacket connack = client.receive();
            assertTrue(connack.isSuccessfulConnack(), "CONNACK: " + connack);

            Map<Integer, List<Object>> properties = connack.connackProperties();
            List<Object> assigned = properties.get(0x12);
            assertNotNull(assigned, "CONNACK lacks Assigned Client Identifier (0x12): " + properties.keySet());
            return assertInstanceOf(String.class, assigned.get(0));
        }
    }

    private static void assertNoSuccessfulConnack(List<RawPacket> packets) {
        assertTrue(packets.stream().noneMatch(RawPacket::isSuccessfulConnack), "connection was accepted: " + packets);
    }

    /** Checks that the broker closed silently or after one CONNACK with one of {@code reasonCodes}. */
    private static void assertAtMostConnackWith(List<RawPacket> packets, Set<Integer> reasonCodes) {
        assertTrue(packets.size() <= 1, "expected close or one CONNACK: " + packets);
        if (!packets.isEmpty()) {
            assertEquals(CONNACK, packets.get(0).type());
            assertTrue(reasonCodes.contains(packets.get(0).connackCode()), "reason code: " + packets.get(0));
        }
    }

    @Test
    void mqtt31ConnAckReservedByteIsZero() {
        String clientId = BROKER.clientId("present31");
        try (RawMqttClient first = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt31(clientId).cleanSession(false))) {
            first.send(MqttPackets.disconnect());
            first.receiveUntilClosed(CLOSE_TIMEOUT);
        }

        try (RawMqttClient second = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt31(clientId).cleanSession(false))) {
            // MQTT 3.1 has no session present flag: the first byte of the CONNACK variable header is reserved.
            assertEquals(0, second.connack().body()[0]);
        }
    }

    @Test
    void mqtt311ResumedSessionIsPresent() {
        String clientId = BROKER.clientId("present311");
        try (RawMqttClient first = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(clientId).cleanSession(false))) {
            first.send(MqttPackets.disconnect());
            first.receiveUntilClosed(CLOSE_TIMEOUT);
        }

        try (RawMqttClient second = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(clientId).cleanSession(false))) {
            assertTrue(second.connack().sessionPresent());
        }
    }
}
