package io.petrel.broker.protocol;

import static io.petrel.broker.testing.BrokerExtension.awaitIncrease;
import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Malformed input over raw sockets: each case must close the offending connection, be counted in
 * {@code petrel.protocol.violations}, and leave the broker serving a new client. An MQTT 3.1.1
 * server has no packet to explain a close, so 3.1.1 connections must see nothing before the close.
 */
class MalformedPacketTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

    /** PUBLISH declaring 100 MB, far above the test broker's 4096-byte packet limit. */
    private static final int HUGE_REMAINING_LENGTH = 100_000_000;

    @AfterEach
    void brokerStillServesClients() {
        BROKER.assertServesNewClient();
    }

    @Test
    void fiveByteRemainingLengthClosesConnection() {
        double before = BROKER.violations();

        List<RawPacket> packets = sendAfterConnect(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F});

        assertEquals(List.of(), packets);
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void subscribeWithFlags0000ClosesConnection() {
        double before = BROKER.violations();
        byte[] valid = MqttPackets.subscribe(MQTT_3_1_1, 1, 0, "a/b");
        valid[0] = (byte) (MqttPackets.SUBSCRIBE << 4);

        List<RawPacket> packets = sendAfterConnect(valid);

        assertEquals(List.of(), packets);
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void pubrelWithFlags0000ClosesConnection() {
        double before = BROKER.violations();

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("pubrel")))) {
            client.send(MqttPackets.publish(MQTT_3_1_1, "malformed/pubrel", "x", 2, 5));
            assertEquals(MqttPackets.PUBREC, client.receive().type());
            client.send(MqttPackets.packetIdOnly(MqttPackets.PUBREL << 4, 5));

            assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
        }
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void secondConnectClosesConnection() {
        double before = BROKER.violations();
        ConnectPacket connect = ConnectPacket.mqtt311(BROKER.clientId("twice"));

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), connect)) {
            client.send(connect.toBytes());

            assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
        }
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void publishBeforeConnectClosesConnection() {
        double before = BROKER.violations();

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(MqttPackets.publish(MQTT_3_1_1, "early/bird", "x", 0, 0));

            assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
        }
        awaitIncrease(BROKER::violations, before);
    }

    @Test
    void oversizedPublishClosedWithoutBody() {
        double before = BROKER.violations("packet_too_large");

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("huge")))) {
            client.send(hugePublishHead());
            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(2));

            assertEquals(List.of(), packets);
        }
        awaitIncrease(() -> BROKER.violations("packet_too_large"), before);
    }

    @Test
    void oversizedPublish5GetsDisconnect95() {
        double before = BROKER.violations("packet_too_large");

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt5(BROKER.clientId("huge5")))) {
            client.send(hugePublishHead());
            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(2));

            assertEquals(1, packets.size(), "DISCONNECT, then close: " + packets);
            assertEquals(MqttPackets.DISCONNECT, packets.get(0).type());
            assertEquals(0x95, packets.get(0).reasonCode(), "packet too large");
        }
        awaitIncrease(() -> BROKER.violations("packet_too_large"), before);
    }

    @Test
    void malformedPacketIn5GetsDisconnect81OrClose() {
        double before = BROKER.violations();

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt5(BROKER.clientId("badlen5")))) {
            client.send(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F});
            List<RawPacket> packets = client.receiveUntilClosed(CLOSE_TIMEOUT);

            assertTrue(packets.size() <= 1, "expected close or one DISCONNECT: " + packets);
            if (!packets.isEmpty()) {
                assertEquals(MqttPackets.DISCONNECT, packets.get(0).type());
                assertEquals(0x81, packets.get(0).reasonCode(), "malformed packet");
            }
        }
        awaitIncrease(BROKER::violations, before);
    }

    /**
     * Returns the fixed header of a PUBLISH declaring {@link #HUGE_REMAINING_LENGTH} bytes, followed by
     * its topic and a few payload bytes. The rest of the body is never sent.
     */
    private static byte[] hugePublishHead() {
        return new MqttPackets.Writer()
                .u8(MqttPackets.PUBLISH << 4)
                .varInt(HUGE_REMAINING_LENGTH)
                .utf8("huge/topic")
                .bytes(new byte[] {1, 2, 3, 4})
                .toBytes();
    }

    @Test
    void secondConnectWithUnknownLevelGetsDisconnect82() {
        double before = BROKER.violations();

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt5(BROKER.clientId("again5")))) {
            client.send(ConnectPacket.mqtt311(BROKER.clientId("level6")).protocolLevel(6).toBytes());
            List<RawPacket> packets = client.receiveUntilClosed(CLOSE_TIMEOUT);

            assertEquals(1, packets.size(), "DISCONNECT, then close: " + packets);
            assertEquals(MqttPackets.DISCONNECT, packets.get(0).type());
            // [MQTT-3.1.0-2]: a second CONNECT is a Protocol Error. 0x84 is a CONNACK code, not a DISCONNECT code.
            assertEquals(0x82, packets.get(0).reasonCode(), "protocol error");
        }
        awaitIncrease(BROKER::violations, before);
    }

    private static List<RawPacket> sendAfterConnect(byte[] bytes) {
        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("malformed")))) {
            client.send(bytes);
            return client.receiveUntilClosed(CLOSE_TIMEOUT);
        }
    }
}
