package io.petrel.broker.protocol;

import static io.petrel.broker.testing.Mqtt5Properties.PAYLOAD_FORMAT_INDICATOR;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.ReceivedProperties;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The MQTT 5.0 Payload Format Indicator: with {@code validateUtf8Payloads} on, a payload marked as
 * UTF-8 that is not valid UTF-8 is rejected with reason 0x99 in PUBACK, PUBREC or DISCONNECT by QoS;
 * with it off, such a payload is forwarded as it is.
 */
class PayloadFormatTest {

    /** A lone continuation byte and an overlong encoding of '/': both invalid UTF-8. */
    private static final byte[] INVALID_UTF8 = {'o', 'k', (byte) 0x80, (byte) 0xC0, (byte) 0xAF};

    @RegisterExtension
    static final BrokerExtension VALIDATING = BrokerExtension.withConfig(config -> config.validateUtf8Payloads(true));

    @RegisterExtension
    static final BrokerExtension LENIENT = BrokerExtension.withConfig(config -> config.validateUtf8Payloads(false));

    @Test
    void invalidUtf8AtQos1GetsPuback0x99() {
        String topic = "format/q1/" + VALIDATING.clientId("t");
        try (RawMqttClient subscriber = subscriber(VALIDATING, topic);
             RawMqttClient publisher = client(VALIDATING, "q1")) {
            publisher.send(Mqtt5Packets.publish(topic, INVALID_UTF8, 1, 5, false, utf8Marked()));

            RawPacket puback = publisher.receive();

            assertEquals(MqttPackets.PUBACK, puback.type());
            assertEquals(5, puback.packetId());
            assertEquals(0x99, puback.reasonCode());
            assertTrue(subscriber.ping(), "the rejected message was forwarded");
            assertTrue(publisher.ping(), "the publisher was disconnected");
        }
    }

    @Test
    void invalidUtf8AtQos2GetsPubrec0x99() {
        String topic = "format/q2/" + VALIDATING.clientId("t");
        try (RawMqttClient subscriber = subscriber(VALIDATING, topic);
             RawMqttClient publisher = client(VALIDATING, "q2")) {
            publisher.send(Mqtt5Packets.publish(topic, INVALID_UTF8, 2, 6, false, utf8Marked()));

            RawPacket pubrec = publisher.receive();

            assertEquals(MqttPackets.PUBREC, pubrec.type());
            assertEquals(6, pubrec.packetId());
            assertEquals(0x99, pubrec.reasonCode());
            assertTrue(subscriber.ping(), "the rejected message was forwarded");
        }
    }

    @Test
    void invalidUtf8AtQos0DisconnectsWith0x99() {
        String topic = "format/q0/" + VALIDATING.clientId("t");
        try (RawMqttClient subscriber = subscriber(VALIDATING, topic);
             RawMqttClient publisher = client(VALIDATING, "q0")) {
            publisher.send(Mqtt5Packets.publish(topic, INVALID_UTF8, 0, 0, false, utf8Marked()));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(publisher);

            assertEquals(0x99, disconnect.reasonCode());
            assertTrue(subscriber.ping(), "the rejected message was forwarded");
        }
    }

    @Test
    void invalidUtf8AtQos0CountedOnce() {
        double before = VALIDATING.violations("payload_format_invalid");
        try (RawMqttClient publisher = client(VALIDATING, "count")) {
            publisher.send(Mqtt5Packets.publish("format/count", INVALID_UTF8, 0, 0, false, utf8Marked()));
            Mqtt5Packets.awaitDisconnect(publisher);
        }

        BrokerExtension.awaitIncrease(() -> VALIDATING.violations("payload_format_invalid"), before);
        assertEquals(before + 1, VALIDATING.violations("payload_format_invalid"),
                "one rejected PUBLISH counted more than once");
    }

    @Test
    void validUtf8MarkedAsUtf8Forwarded() {
        String topic = "format/valid/" + VALIDATING.clientId("t");
        String text = "grüße ✓";
        try (RawMqttClient subscriber = subscriber(VALIDATING, topic);
             RawMqttClient publisher = client(VALIDATING, "valid")) {
            publisher.send(Mqtt5Packets.publish(topic, text, 1, 7, false, utf8Marked()));

            RawPacket puback = publisher.receive();
            RawPacket delivered = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals(0x00, puback.reasonCode());
            assertEquals(text, new String(ReceivedProperties.publishPayload(delivered), StandardCharsets.UTF_8));
            assertEquals(1, ReceivedProperties.ofPublish(delivered).integer(PAYLOAD_FORMAT_INDICATOR));
        }
    }

    @Test
    void invalidUtf8WithoutIndicatorForwarded() {
        String topic = "format/binary/" + VALIDATING.clientId("t");
        try (RawMqttClient subscriber = subscriber(VALIDATING, topic);
             RawMqttClient publisher = client(VALIDATING, "binary")) {
            publisher.send(Mqtt5Packets.publish(topic, INVALID_UTF8, 1, 8, false,
                    Mqtt5Properties.create().payloadFormatIndicator(0)));

            RawPacket puback = publisher.receive();
            RawPacket delivered = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals(0x00, puback.reasonCode());
            assertArrayEquals(INVALID_UTF8, ReceivedProperties.publishPayload(delivered));
        }
    }

    @Test
    void invalidUtf8AcceptedWhenValidationOff() {
        String topic = "format/off/" + LENIENT.clientId("t");
        try (RawMqttClient subscriber = subscriber(LENIENT, topic);
             RawMqttClient publisher = client(LENIENT, "off")) {
            publisher.send(Mqtt5Packets.publish(topic, INVALID_UTF8, 1, 9, false, utf8Marked()));
            publisher.send(Mqtt5Packets.publish(topic, INVALID_UTF8, 0, 0, false, utf8Marked()));

            RawPacket puback = publisher.receive();
            RawPacket first = subscriber.receive(MqttPackets.PUBLISH);
            RawPacket second = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals(0x00, puback.reasonCode());
            assertArrayEquals(INVALID_UTF8, ReceivedProperties.publishPayload(first));
            assertEquals(1, ReceivedProperties.ofPublish(first).integer(PAYLOAD_FORMAT_INDICATOR));
            assertArrayEquals(INVALID_UTF8, ReceivedProperties.publishPayload(second));
            assertTrue(publisher.ping(), "the publisher was disconnected");
        }
    }

    private static Mqtt5Properties utf8Marked() {
        return Mqtt5Properties.create().payloadFormatIndicator(1);
    }

    private static RawMqttClient client(BrokerExtension broker, String prefix) {
        return Mqtt5Packets.connect(broker.port(), Mqtt5Packets.connect(broker.clientId(prefix)));
    }

    private static RawMqttClient subscriber(BrokerExtension broker, String filter) {
        RawMqttClient client = client(broker, "sub");
        Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), filter, 0);
        return client;
    }
}
