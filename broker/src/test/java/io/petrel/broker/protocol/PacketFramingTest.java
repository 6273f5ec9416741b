package io.petrel.broker.protocol;

import static io.petrel.broker.testing.BrokerExtension.awaitIncrease;
import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How the connection handler frames its input over real sockets: packets written one byte at a
 * time, several packets in one write, and an oversized packet whose body follows its fixed header.
 */
class PacketFramingTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

    @AfterEach
    void brokerStillServesClients() {
        BROKER.assertServesNewClient();
    }

    @Test
    void packetsSentByteByByteDecoded() {
        String topic = "framing/bytes/" + BROKER.clientId("t");
        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            sendByteByByte(client, ConnectPacket.mqtt311(BROKER.clientId("bytes")).toBytes());
            assertEquals(MqttPackets.CONNACK, client.receive().type());
            sendByteByByte(client, MqttPackets.subscribe(MQTT_3_1_1, 1, 1, topic));
            assertEquals(MqttPackets.SUBACK, client.receive().type());

            sendByteByByte(client, MqttPackets.publish(MQTT_3_1_1, topic, "x".repeat(300), 1, 2));

            Set<Integer> types = Set.of(client.receive().type(), client.receive().type());
            assertEquals(Set.of(MqttPackets.PUBACK, MqttPackets.PUBLISH), types);
        }
    }

    @Test
    void mqtt31ResendsWithDupAnswered() {
        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt31(BROKER.clientId("dup31")))) {
            byte[] subscribe = MqttPackets.subscribe(MqttPackets.MQTT_3_1, 1, 1, "framing/dup31");
            subscribe[0] = (byte) (subscribe[0] | 0x08);
            client.send(subscribe);
            assertEquals(MqttPackets.SUBACK, client.receive().type());

            client.send(MqttPackets.publish(MqttPackets.MQTT_3_1, "framing/other", "x", 2, 5));
            assertEquals(MqttPackets.PUBREC, client.receive().type());
            client.send(MqttPackets.packetIdOnly((MqttPackets.PUBREL << 4) | 0x0A, 5));
            assertEquals(MqttPackets.PUBCOMP, client.receive().type());

            byte[] unsubscribe = MqttPackets.unsubscribe(MqttPackets.MQTT_3_1, 2, "framing/dup31");
            unsubscribe[0] = (byte) (unsubscribe[0] | 0x08);
            client.send(unsubscribe);
            assertEquals(MqttPackets.UNSUBACK, client.receive().type());
        }
    }

    @Test
    void severalPacketsInOneWriteDecoded() {
        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            bytes.writeBytes(ConnectPacket.mqtt311(BROKER.clientId("batch")).toBytes());
            bytes.writeBytes(MqttPackets.pingreq());
            bytes.writeBytes(MqttPackets.publish(MQTT_3_1_1, "framing/batch", "x", 1, 7));
            bytes.writeBytes(MqttPackets.pingreq());

            client.send(bytes.toByteArray());

            assertEquals(MqttPackets.CONNACK, client.receive().type());
            assertEquals(MqttPackets.PINGRESP, client.receive().type());
            assertEquals(MqttPackets.PUBACK, client.receive().type());
            assertEquals(MqttPackets.PINGRESP, client.receive().type());
        }
    }

    @Test
    void oversizedPacketWithBodyRejected() {
        double before = BROKER.violations("packet_too_large");
        int maxPacketSize = BROKER.broker().config().maxPacketSizeBytes();

        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("big")))) {
            byte[] publish = Mqtt5Packets.publish("framing/big", "x".repeat(maxPacketSize), 0, 0, false,
                    Mqtt5Properties.none());
            client.send(publish);
            List<RawPacket> packets = client.receiveUntilClosed(CLOSE_TIMEOUT);

            assertEquals(1, packets.size(), "DISCONNECT, then close: " + packets);
            assertEquals(MqttPackets.DISCONNECT, packets.get(0).type());
            assertEquals(0x95, packets.get(0).reasonCode(), "packet too large");
        }
        awaitIncrease(() -> BROKER.violations("packet_too_large"), before);
    }

    private static void sendByteByByte(RawMqttClient client, byte[] packet) {
        for (byte b : packet) {
            client.send(new byte[] {b});
        }
    }
}
