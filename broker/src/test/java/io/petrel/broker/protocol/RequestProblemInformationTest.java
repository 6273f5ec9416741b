package io.petrel.broker.protocol;

import static io.petrel.broker.testing.Mqtt5Properties.REASON_STRING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.ReceivedProperties;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Reason strings: the broker explains a failure code in SUBACK, UNSUBACK and DISCONNECT by default.
 * It leaves the reason string out for a client that sent Request Problem Information 0, and when the
 * string would make the packet larger than the client's Maximum Packet Size.
 */
class RequestProblemInformationTest {

    private static final String INVALID_FILTER = "problem/#/more";

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    @Test
    void subackFailureCarriesReasonString() {
        try (RawMqttClient client = client(Mqtt5Properties.none())) {
            RawPacket suback = Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), INVALID_FILTER, 0);

            assertEquals(List.of(0x8F), suback.subackCodes(MqttPackets.MQTT_5));
            String reason = ReceivedProperties.ofSuback(suback).string(REASON_STRING);
            assertTrue(reason.contains(INVALID_FILTER), "reason string: " + reason);
        }
    }

    @Test
    void subackOmitsReasonStringWhenNotRequested() {
        try (RawMqttClient client = client(Mqtt5Properties.create().requestProblemInformation(0))) {
            RawPacket suback = Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), INVALID_FILTER, 0);

            assertEquals(List.of(0x8F), suback.subackCodes(MqttPackets.MQTT_5));
            ReceivedProperties properties = ReceivedProperties.ofSuback(suback);
            assertFalse(properties.contains(REASON_STRING), properties.toString());
        }
    }

    @Test
    void subackCarriesReasonStringWhenRequested() {
        try (RawMqttClient client = client(Mqtt5Properties.create().requestProblemInformation(1))) {
            RawPacket suback = Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), INVALID_FILTER, 0);

            assertTrue(ReceivedProperties.ofSuback(suback).contains(REASON_STRING));
        }
    }

    @Test
    void subackOmitsReasonStringAboveClientMaximum() {
        // A 5-byte SUBACK fits in 20 bytes; a reason string naming the filter would not.
        try (RawMqttClient client = client(Mqtt5Properties.create().maximumPacketSize(20))) {
            RawPacket suback = Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), INVALID_FILTER, 0);

            assertEquals(List.of(0x8F), suback.subackCodes(MqttPackets.MQTT_5));
            assertFalse(ReceivedProperties.ofSuback(suback).contains(REASON_STRING));
            assertTrue(Mqtt5Packets.wireSize(suback) <= 20, "SUBACK of " + Mqtt5Packets.wireSize(suback) + " bytes");
        }
    }

    @Test
    void disconnectOmitsReasonStringAboveClientMaximum() {
        try (RawMqttClient client = client(Mqtt5Properties.create().maximumPacketSize(20))) {
            client.send(Mqtt5Packets.publish("problem/alias", "x", 0, 0, false, Mqtt5Properties.create().topicAlias(0)));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x94, disconnect.reasonCode());
            assertFalse(ReceivedProperties.ofDisconnect(disconnect).contains(REASON_STRING));
            assertTrue(Mqtt5Packets.wireSize(disconnect) <= 20, "DISCONNECT of " + Mqtt5Packets.wireSize(disconnect) + " bytes");
        }
    }

    @Test
    void disconnectOmitsReasonStringWhenNotRequested() {
        try (RawMqttClient client = client(Mqtt5Properties.create().requestProblemInformation(0))) {
            client.send(Mqtt5Packets.publish("problem/alias", "x", 0, 0, false, Mqtt5Properties.create().topicAlias(0)));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x94, disconnect.reasonCode());
            assertFalse(ReceivedProperties.ofDisconnect(disconnect).contains(REASON_STRING));
        }
    }

    @Test
    void successfulSubackHasNoReasonString() {
        try (RawMqttClient client = client(Mqtt5Properties.none())) {
            RawPacket suback = Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), "problem/ok", 1);

            assertEquals(List.of(1), suback.subackCodes(MqttPackets.MQTT_5));
            assertFalse(ReceivedProperties.ofSuback(suback).contains(REASON_STRING));
        }
    }

    @Test
    void unsubackFailureCarriesReasonString() {
        try (RawMqttClient client = client(Mqtt5Properties.none())) {
            client.send(Mqtt5Packets.unsubscribe(2, INVALID_FILTER));

            RawPacket unsuback = client.receive(MqttPackets.UNSUBACK);

            assertEquals(List.of(0x8F), unsuback.subackCodes(MqttPackets.MQTT_5));
            assertTrue(ReceivedProperties.ofSuback(unsuback).contains(REASON_STRING));
        }
    }

    @Test
    void unsubackOmitsReasonStringWhenNotRequested() {
        try (RawMqttClient client = client(Mqtt5Properties.create().requestProblemInformation(0))) {
            client.send(Mqtt5Packets.unsubscribe(2, INVALID_FILTER));

            RawPacket unsuback = client.receive(MqttPackets.UNSUBACK);

            assertEquals(List.of(0x8F), unsuback.subackCodes(MqttPackets.MQTT_5));
            assertFalse(ReceivedProperties.ofSuback(unsuback).contains(REASON_STRING));
        }
    }

    private static RawMqttClient client(Mqtt5Properties connectProperties) {
        return Mqtt5Packets.connect(BROKER.port(),
                Mqtt5Packets.connect(BROKER.clientId("problem")).properties(connectProperties));
    }
}
