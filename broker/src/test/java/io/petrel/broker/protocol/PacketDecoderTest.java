package io.petrel.broker.protocol;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.util.ReferenceCountUtil;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link PacketDecoder} on real packet bytes: each packet type of MQTT 3.1.1 and 5.0, packets split
 * at every byte boundary or packed into one buffer, and each class of malformed input with the
 * violation it is reported as.
 */
class PacketDecoderTest {

    private static final int MAX_PACKET_SIZE = 1_024;

    @Test
    void startsPublishReadsFirstByteOnly() {
        byte[] publish = MqttPackets.publish(MQTT_3_1_1, "a/b", "x", 1, 3);
        ByteBuf buffer = Unpooled.buffer();

        assertFalse(PacketDecoder.startsPublish(buffer), "empty buffer");
        buffer.writeByte(publish[0]);
        assertTrue(PacketDecoder.startsPublish(buffer), "first byte of a QoS 1 PUBLISH");
        buffer.clear().writeByte(0x3B); // DUP, QoS 1 and RETAIN set
        assertTrue(PacketDecoder.startsPublish(buffer), "PUBLISH with flags");
        buffer.clear().writeBytes(MqttPackets.pubrel(1));
        assertFalse(PacketDecoder.startsPublish(buffer), "PUBREL");
        buffer.clear().writeByte(0x40); // PUBACK
        assertFalse(PacketDecoder.startsPublish(buffer), "PUBACK");
        buffer.release();
    }

    @Test
    void publishSplitAtEveryByteDecodesOnce() {
        byte[] packet = Mqtt5Packets.publish("a/b", "hello", 1, 7, true,
                Mqtt5Properties.create().userProperty("k", "v"));

        for (int split = 1; split < packet.length; split++) {
            ByteBuf buffer = Unpooled.buffer();
            buffer.writeBytes(packet, 0, split);

            assertNull(decode(buffer, 5), "split at " + split);
            assertEquals(0, buffer.readerIndex(), "split at " + split);

            buffer.writeBytes(packet, split, packet.length - split);
            PublishPacket publish = decodePublish(buffer, true);
            assertEquals("a/b", publish.topic(), "split at " + split);
            assertEquals("hello", payload(publish), "split at " + split);
            assertFalse(buffer.isReadable(), "split at " + split);
            buffer.release();
        }
    }

    @Test
    void connectSplitAtEveryByteDecodesOnce() {
        byte[] packet = ConnectPacket.mqtt311("split").will("w/t", "gone", 1, false).username("u").password("p")
                .toBytes();

        for (int split = 1; split < packet.length; split++) {
            ByteBuf buffer = Unpooled.buffer();
            buffer.writeBytes(packet, 0, split);
            assertNull(decode(buffer, 4), "split at " + split);

            buffer.writeBytes(packet, split, packet.length - split);
            DecodedConnect connect = decodeConnect(buffer);
            assertEquals("split", connect.clientId(), "split at " + split);
            assertEquals("w/t", connect.willTopic(), "split at " + split);
            assertArrayEquals("p".getBytes(StandardCharsets.UTF_8), connect.password(), "split at " + split);
            assertFalse(buffer.isReadable(), "split at " + split);
        }
    }

    @Test
    void severalPacketsInOneBufferDecodeInOrder() {
        ByteBuf buffer = buffer(
                MqttPackets.publish(MQTT_3_1_1, "t/1", "one", 0, 0),
                MqttPackets.subscribe(MQTT_3_1_1, 3, 1, "s/+", "s/#"),
                MqttPackets.puback(9),
                MqttPackets.pingreq(),
                MqttPackets.unsubscribe(MQTT_3_1_1, 4, "s/+"),
                MqttPackets.disconnect());

        List<MqttMessageType> types = new ArrayList<>();
        Object packet;
        while ((packet = decode(buffer, 4)) != null) {
            if (packet instanceof PublishPacket) {
                types.add(MqttMessageType.PUBLISH);
                continue;
            }
            MqttMessage message = (MqttMessage) packet;
            assertTrue(message.decoderResult().isSuccess(), String.valueOf(message.decoderResult()));
            types.add(message.fixedHeader().messageType());
            ReferenceCountUtil.release(message);
        }

        assertEquals(List.of(MqttMessageType.PUBLISH, MqttMessageType.SUBSCRIBE, MqttMessageType.PUBACK,
                MqttMessageType.PINGREQ, MqttMessageType.UNSUBSCRIBE, MqttMessageType.DISCONNECT), types);
        assertFalse(buffer.isReadable());
        buffer.release();
    }

    @Test
    void connect5PropertiesDecoded() {
        byte[] packet = Mqtt5Packets.connect("five")
                .properties(Mqtt5Properties.create().sessionExpiryInterval(60).receiveMaximum(10)
                        .userProperty("a", "1").userProperty("b", "2").userProperty("a", "3"))
                .will("w", "x", 0, false, Mqtt5Properties.create().willDelayInterval(5))
                .toBytes();

        DecodedConnect connect = decodeConnect(buffer(packet));

        MqttProperties properties = connect.properties();
        assertEquals(5, connect.protocolLevel());
        assertEquals(60, properties.getProperty(MqttProperties.SESSION_EXPIRY_INTERVAL).value());
        assertEquals(10, properties.getProperty(MqttProperties.RECEIVE_MAXIMUM).value());
        assertEquals(List.of("a=1", "b=2", "a=3"), userProperties(properties));
        assertEquals(5, connect.willProperties().getProperty(MqttProperties.WILL_DELAY_INTERVAL).value());
    }

    @Test
    void mqtt31ConnectDecoded() {
        DecodedConnect connect = decodeConnect(buffer(ConnectPacket.mqtt31("old").toBytes()));

        assertEquals("MQIsdp", connect.protocolName());
        assertEquals(3, connect.protocolLevel());
    }

    @Test
    void connectFieldsDecoded() {
        byte[] packet = ConnectPacket.mqtt311("fields").cleanSession(false).keepAliveSeconds(30)
                .will("w/t", "gone", 2, true).username("user").password("secret").toBytes();

        DecodedConnect connect = decodeConnect(buffer(packet));

        assertEquals("MQTT", connect.protocolName());
        assertEquals(4, connect.protocolLevel());
        assertFalse(connect.cleanStart());
        assertEquals(30, connect.keepAliveSeconds());
        assertSame(MqttProperties.NO_PROPERTIES, connect.properties());
        assertEquals("fields", connect.clientId());
        assertTrue(connect.willFlag());
        assertEquals(2, connect.willQos());
        assertTrue(connect.willRetain());
        assertEquals("w/t", connect.willTopic());
        assertArrayEquals("gone".getBytes(StandardCharsets.UTF_8), connect.willPayload());
        assertSame(MqttProperties.NO_PROPERTIES, connect.willProperties());
        assertTrue(connect.hasUserName());
        assertEquals("user", connect.userName());
        assertTrue(connect.hasPassword());
        assertArrayEquals("secret".getBytes(StandardCharsets.UTF_8), connect.password());
    }

    @Test
    void connectWithoutOptionalFieldsDecoded() {
        DecodedConnect connect = decodeConnect(buffer(ConnectPacket.mqtt311("bare").toBytes()));

        assertTrue(connect.cleanStart());
        assertFalse(connect.willFlag());
        assertEquals(0, connect.willQos());
        assertFalse(connect.willRetain());
        assertNull(connect.willTopic());
        assertNull(connect.willPayload());
        assertFalse(connect.hasUserName());
        assertNull(connect.userName());
        assertFalse(connect.hasPassword());
        assertNull(connect.password());
    }

    @Test
    void connectThenPingreqDecodeInOrder() {
        ByteBuf buffer = buffer(ConnectPacket.mqtt311("first").toBytes(), MqttPackets.pingreq());
        int writerIndex = buffer.writerIndex();

        DecodedConnect connect = decodeConnect(buffer);
        assertEquals(writerIndex, buffer.writerIndex());
        MqttMessage ping = decodeOk(buffer, false);

        assertEquals("first", connect.clientId());
        assertEquals(MqttMessageType.PINGREQ, ping.fixedHeader().messageType());
        assertFalse(buffer.isReadable());
    }

    @Test
    void connectFieldPastPacketEndIsMalformed() {
        byte[] connect = ConnectPacket.mqtt311("short").username("user").password("pw").toBytes();
        // One byte less remaining length leaves the password's last byte outside the CONNECT. The PINGREQ
        // after it supplies enough bytes that only the packet boundary can stop the read.
        connect[1]--;
        ByteBuf buffer = buffer(connect, MqttPackets.pingreq());
        int writerIndex = buffer.writerIndex();

        Object decoded = decode(buffer, 0);
        assertEquals(writerIndex, buffer.writerIndex());
        buffer.release();

        MqttMessage message = assertInstanceOf(MqttMessage.class, decoded, "decoded: " + decoded);
        InvalidPacketException failure = assertInstanceOf(InvalidPacketException.class,
                message.decoderResult().cause(), "decoded: " + message);
        assertEquals(ProtocolViolation.MALFORMED_PACKET, failure.violation());
        assertEquals("password runs past the end of the packet", failure.getMessage());
        assertTrue(failure.inConnect());
        assertEquals(4, failure.connectProtocolLevel());
    }

    @Test
    void subscribe5OptionsDecoded() {
        byte[] packet = Mqtt5Packets.subscribe(12, Mqtt5Properties.create().varIntProperty(0x0B, 300), "x/#",
                2 | Mqtt5Packets.NO_LOCAL | Mqtt5Packets.RETAIN_AS_PUBLISHED | Mqtt5Packets.RETAIN_HANDLING_NEVER);

        MqttSubscribeMessage subscribe = (MqttSubscribeMessage) decodeOk(buffer(packet), true);

        MqttTopicSubscription subscription = subscribe.payload().topicSubscriptions().get(0);
        assertEquals(12, subscribe.idAndPropertiesVariableHeader().messageId());
        assertEquals(300, subscribe.idAndPropertiesVariableHeader().properties()
                .getProperty(MqttProperties.SUBSCRIPTION_IDENTIFIER).value());
        assertEquals("x/#", subscription.topicName());
        assertEquals(2, subscription.qualityOfService().value());
        assertTrue(subscription.option().isNoLocal());
        assertTrue(subscription.option().isRetainAsPublished());
        assertEquals(MqttSubscriptionOption.RetainedHandlingPolicy.DONT_SEND_AT_SUBSCRIBE,
                subscription.option().retainHandling());
    }

    @Test
    void unsubscribe5Decoded() {
        MqttUnsubscribeMessage unsubscribe = (MqttUnsubscribeMessage) decodeOk(
                buffer(Mqtt5Packets.unsubscribe(8, "u/v")), true);

        assertEquals(8, unsubscribe.idAndPropertiesVariableHeader().messageId());
        assertEquals(List.of("u/v"), unsubscribe.payload().topics());
    }

    @Test
    void pubAck5ShortAndLongFormsDecoded() {
        byte[] shortForm = MqttPackets.puback(5);
        byte[] longForm = Mqtt5Packets.acknowledgement(MqttPackets.PUBREC << 4, 6, 0x10);

        MqttMessage shortAck = decodeOk(buffer(shortForm), true);
        MqttMessage longAck = decodeOk(buffer(longForm), true);

        assertEquals(5, ((MqttMessageIdVariableHeader) shortAck.variableHeader()).messageId());
        assertEquals(0, ((MqttPubReplyMessageVariableHeader) shortAck.variableHeader()).reasonCode());
        assertEquals(6, ((MqttMessageIdVariableHeader) longAck.variableHeader()).messageId());
        assertEquals(0x10, ((MqttPubReplyMessageVariableHeader) longAck.variableHeader()).reasonCode());
    }

    @Test
    void twoByteRepliesDecodedWithTheirFlags() {
        ByteBuf buffer = buffer(new byte[] {0x40, 0x02, 0x01, 0x2C}, new byte[] {0x62, 0x02, 0x00, 0x09},
                new byte[] {0x50, 0x02, 0x00, 0x0A}, new byte[] {0x70, 0x02, 0x00, 0x0B});

        MqttMessage pubAck = decodeOk(buffer, false);
        MqttMessage pubRel = decodeOk(buffer, false);
        MqttMessage pubRec = decodeOk(buffer, false);
        MqttMessage pubComp = decodeOk(buffer, false);

        assertEquals(MqttMessageType.PUBACK, pubAck.fixedHeader().messageType());
        assertEquals(300, ((MqttMessageIdVariableHeader) pubAck.variableHeader()).messageId());
        assertEquals(2, pubAck.fixedHeader().remainingLength());
        assertEquals(MqttMessageType.PUBREL, pubRel.fixedHeader().messageType());
        assertEquals(MqttQoS.AT_LEAST_ONCE, pubRel.fixedHeader().qosLevel());
        assertEquals(9, ((MqttMessageIdVariableHeader) pubRel.variableHeader()).messageId());
        assertEquals(MqttMessageType.PUBREC, pubRec.fixedHeader().messageType());
        assertEquals(MqttMessageType.PUBCOMP, pubComp.fixedHeader().messageType());
        assertEquals(11, ((MqttMessageIdVariableHeader) pubComp.variableHeader()).messageId());
        assertFalse(buffer.isReadable());
        buffer.release();
    }

    @Test
    void shortPubAckReadInPlace() {
        ByteBuf buffer = buffer(new byte[] {0x40, 0x02, 0x01, 0x2C}, new byte[] {0x40, 0x02, 0x00, 0x07});

        int first = PacketDecoder.readShortPubAck(buffer, MAX_PACKET_SIZE);
        int second = PacketDecoder.readShortPubAck(buffer, MAX_PACKET_SIZE);

        assertEquals(300, first);
        assertEquals(7, second);
        assertFalse(buffer.isReadable());
        buffer.release();
    }

    @Test
    void otherInputLeftToDecoder() {
        byte[][] packets = {
            {0x40, 0x02, 0x00, 0x00},
            {0x40, 0x02, 0x00},
            {0x50, 0x02, 0x00, 0x07},
            {0x40, 0x03, 0x00, 0x07, 0x10},
        };
        for (byte[] packet : packets) {
            ByteBuf buffer = buffer(packet);

            assertEquals(0, PacketDecoder.readShortPubAck(buffer, MAX_PACKET_SIZE), Arrays.toString(packet));
            assertEquals(0, buffer.readerIndex(), Arrays.toString(packet));
            buffer.release();
        }
    }

    @Test
    void shortPubAckOverSizeLimitSkipped() {
        ByteBuf buffer = buffer(new byte[] {0x40, 0x02, 0x00, 0x07});

        assertEquals(0, PacketDecoder.readShortPubAck(buffer, 3));
        assertEquals(0, buffer.readerIndex());
        buffer.release();
    }

    @Test
    void replyPacketIdZeroMalformedMqtt5() {
        assertFailure(new byte[] {0x70, 0x02, 0x00, 0x00}, true, ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void publishPayloadStaysInNetworkBuffer() {
        ByteBuf buffer = buffer(MqttPackets.publish(MQTT_3_1_1, "a/b", "payload", 1, 4));

        PublishPacket publish = decodePublish(buffer, false);

        assertSame(buffer, publish.buffer());
        assertEquals(1, buffer.refCnt());
        assertEquals(1, publish.qos());
        assertEquals(4, publish.packetId());
        assertEquals("payload", payload(publish));
        buffer.release();
    }

    @Test
    void heldPublishKeepsNetworkBuffer() {
        ByteBuf buffer = buffer(MqttPackets.publish(MQTT_3_1_1, "a/b", "payload", 1, 4));
        PublishPacket publish = decodePublish(buffer, false);

        PublishPacket held = publish.hold();
        buffer.release();

        assertEquals(1, buffer.refCnt());
        assertEquals("payload", payload(held));
        held.release();
        assertEquals(0, buffer.refCnt());
        held.release();
        assertEquals(0, buffer.refCnt());
    }

    @Test
    void releasedPublishKeepsOnlyTopic() {
        ByteBuf buffer = buffer(Mqtt5Packets.publish("a/b", "payload", 1, 4, false,
                Mqtt5Properties.create().userProperty("k", "v")));
        PublishPacket publish = decodePublish(buffer, true);
        String topic = publish.topic();

        publish.release();

        assertNull(publish.buffer());
        assertSame(MqttProperties.NO_PROPERTIES, publish.properties());
        assertSame(topic, publish.topic());
        assertEquals(1, buffer.refCnt());
        buffer.release();
    }

    @Test
    void publishFieldReadStopsAtPacketEnd() {
        // A QoS 1 PUBLISH whose body ends inside its packet identifier, followed by a PINGREQ whose bytes
        // would complete the identifier if the decoder read past the packet.
        ByteBuf buffer = buffer(new MqttPackets.Writer().u8((MqttPackets.PUBLISH << 4) | 0x02).varInt(4)
                .u8(0).u8(1).u8('a').u8(0).toBytes(), MqttPackets.pingreq());
        int writerIndex = buffer.writerIndex();

        MqttMessage message = (MqttMessage) decode(buffer, 4);

        InvalidPacketException failure = assertInstanceOf(InvalidPacketException.class, message.decoderResult().cause());
        assertEquals(ProtocolViolation.MALFORMED_PACKET, failure.violation());
        assertEquals(writerIndex, buffer.writerIndex());
        buffer.release();
    }

    @Test
    void publishFlagsDecoded() {
        ByteBuf buffer = buffer(MqttPackets.publish(MQTT_3_1_1, "a", "x", 2, 9));
        buffer.setByte(0, buffer.getByte(0) | 0x09);

        PublishPacket publish = decodePublish(buffer, false);

        assertEquals(2, publish.qos());
        assertTrue(publish.retain());
        assertEquals(9, publish.packetId());
        buffer.release();
    }

    @Test
    void repeatedTopicReusesPreviousString() {
        String previous = new String("sensors/1/temp".toCharArray());
        ByteBuf buffer = buffer(MqttPackets.publish(MQTT_3_1_1, "sensors/1/temp", "x", 0, 0));

        PublishPacket publish = publishWithTopic(previous);

        assertSame(publish, PacketDecoder.decode(buffer, MAX_PACKET_SIZE, 4, publish));

        assertSame(previous, publish.topic());
        buffer.release();
    }

    @Test
    void differentTopicIsDecodedAnew() {
        String[] previousTopics = {"sensors/1/tem", "sensors/1/temq", "sensors/1/tempo"};
        for (String previous : previousTopics) {
            ByteBuf buffer = buffer(MqttPackets.publish(MQTT_3_1_1, "sensors/1/temp", "x", 0, 0));

            PublishPacket publish = publishWithTopic(previous);

            assertSame(publish, PacketDecoder.decode(buffer, MAX_PACKET_SIZE, 4, publish));

            assertEquals("sensors/1/temp", publish.topic(), "previous " + previous);
            buffer.release();
        }
    }

    @Test
    void nonAsciiTopicIgnoresPreviousString() {
        ByteBuf buffer = buffer(MqttPackets.publish(MQTT_3_1_1, "caf\u00e9", "x", 0, 0));
        // The UTF-8 bytes of the topic read one char per byte, as ISO-8859-1 would.
        String lookalike = "caf\u00c3\u00a9";

        PublishPacket publish = publishWithTopic(lookalike);

        assertSame(publish, PacketDecoder.decode(buffer, MAX_PACKET_SIZE, 4, publish));

        assertEquals("caf\u00e9", publish.topic());
        buffer.release();
    }

    @Test
    void disconnect5ReasonAndPropertiesDecoded() {
        byte[] packet = Mqtt5Packets.disconnect(0x04, Mqtt5Properties.create().sessionExpiryInterval(30));

        MqttMessage disconnect = decodeOk(buffer(packet), true);

        MqttReasonCodeAndPropertiesVariableHeader header =
                (MqttReasonCodeAndPropertiesVariableHeader) disconnect.variableHeader();
        assertEquals(0x04, header.reasonCode());
        assertEquals(30, header.properties().getProperty(MqttProperties.SESSION_EXPIRY_INTERVAL).value());
    }

    @Test
    void auth5WithoutBodyHasReasonSuccess() {
        MqttMessage auth = decodeOk(buffer(new byte[] {(byte) 0xF0, 0x00}), true);

        assertEquals(0, ((MqttReasonCodeAndPropertiesVariableHeader) auth.variableHeader()).reasonCode());
    }

    @Test
    void multiByteUtf8TopicDecoded() {
        String topic = "ä/€/\uD83D\uDE00";

        PublishPacket publish = decodePublish(buffer(MqttPackets.publish(MQTT_3_1_1, topic, "x", 0, 0)), false);

        assertEquals(topic, publish.topic());
    }

    @Test
    void fiveByteRemainingLengthIsMalformed() {
        assertFailure(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01}, false,
                ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void fifthRemainingLengthByteNotAwaited() {
        // The fourth length byte announces a fifth: the packet is malformed before the fifth arrives.
        assertFailure(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x81}, false,
                ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void overlongRemainingLengthIsMalformedIn5() {
        assertFailure(new byte[] {(byte) 0xC0, (byte) 0x80, 0x00}, true, ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void overlongRemainingLengthAcceptedIn311() {
        byte[] pubAck = {0x40, (byte) 0x82, (byte) 0x80, 0x00, 0x00, 0x07};

        ByteBuf buffer = buffer(pubAck);
        MqttMessage message = decodeOk(buffer, false);
        buffer.release();

        assertEquals(MqttMessageType.PUBACK, message.fixedHeader().messageType());
        assertEquals(7, ((MqttMessageIdVariableHeader) message.variableHeader()).messageId());
    }

    @Test
    void overlongConnectLengthIsMalformedIn5() {
        byte[] connect = MqttPackets.withOverlongLength(Mqtt5Packets.connect("overlong").toBytes());

        InvalidPacketException failure = assertFailure(connect, false, ProtocolViolation.MALFORMED_PACKET);

        assertTrue(failure.inConnect());
        assertEquals(5, failure.connectProtocolLevel());
    }

    @Test
    void overlongConnectLengthAcceptedIn311() {
        byte[] connect = MqttPackets.withOverlongLength(ConnectPacket.mqtt311("overlong").toBytes());

        DecodedConnect decoded = decodeConnect(buffer(connect));

        assertEquals(4, decoded.protocolLevel());
        assertEquals("overlong", decoded.clientId());
    }

    @Test
    void reservedFlagsAreMalformed() {
        byte[] subscribe = MqttPackets.subscribe(MQTT_3_1_1, 1, 0, "a");
        subscribe[0] = (byte) (MqttPackets.SUBSCRIBE << 4);
        byte[] pubrel = MqttPackets.packetIdOnly(MqttPackets.PUBREL << 4, 3);
        byte[] pingreq = new byte[] {(byte) 0xC1, 0x00};
        byte[] connect = ConnectPacket.mqtt311("flags").toBytes();
        connect[0] = 0x11;

        assertFailure(subscribe, false, ProtocolViolation.MALFORMED_PACKET);
        assertFailure(pubrel, false, ProtocolViolation.MALFORMED_PACKET);
        assertFailure(pingreq, false, ProtocolViolation.MALFORMED_PACKET);
        assertFailure(connect, false, ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void mqtt31ResendWithDupDecoded() {
        byte[] subscribe = MqttPackets.subscribe(MqttPackets.MQTT_3_1, 1, 0, "a");
        subscribe[0] = (byte) (subscribe[0] | 0x08);
        byte[] unsubscribe = MqttPackets.unsubscribe(MqttPackets.MQTT_3_1, 2, "a");
        unsubscribe[0] = (byte) (unsubscribe[0] | 0x08);
        byte[] pubrel = MqttPackets.packetIdOnly((MqttPackets.PUBREL << 4) | 0x0A, 3);

        ByteBuf buffer = buffer(subscribe, unsubscribe, pubrel);
        List<MqttMessageType> types = new ArrayList<>();
        MqttMessage message;
        while ((message = (MqttMessage) decode(buffer, MqttPackets.MQTT_3_1)) != null) {
            assertTrue(message.decoderResult().isSuccess(), String.valueOf(message.decoderResult()));
            types.add(message.fixedHeader().messageType());
        }
        buffer.release();

        assertEquals(List.of(MqttMessageType.SUBSCRIBE, MqttMessageType.UNSUBSCRIBE, MqttMessageType.PUBREL), types);
    }

    @Test
    void mqtt311ResendWithDupIsMalformed() {
        byte[] pubrel = MqttPackets.packetIdOnly((MqttPackets.PUBREL << 4) | 0x0A, 3);

        assertFailure(pubrel, false, ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void publishQos3IsMalformed() {
        byte[] publish = MqttPackets.publish(MQTT_3_1_1, "a", "x", 1, 1);
        publish[0] = (byte) (publish[0] | 0x06);

        assertFailure(publish, false, ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void reservedPacketTypesRejected() {
        assertFailure(new byte[] {0x00, 0x00}, false, ProtocolViolation.MALFORMED_PACKET);
        assertFailure(new byte[] {(byte) 0xF0, 0x00}, false, ProtocolViolation.MALFORMED_PACKET);
        assertFailure(new byte[] {0x20, 0x02, 0x00, 0x00}, false, ProtocolViolation.PROTOCOL_ERROR);
    }

    @Test
    void invalidUtf8TopicIsMalformed() {
        byte[][] invalid = {
            {(byte) 0xC3},                               // truncated two-byte sequence
            {(byte) 0xC0, (byte) 0xAF},                  // overlong '/'
            {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},     // overlong '/' in three bytes
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80},     // surrogate U+D800
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
            {(byte) 0x80},                               // lone continuation byte
            {(byte) 0xFF},
        };
        for (byte[] topic : invalid) {
            byte[] publish = MqttPackets.publish(MQTT_3_1_1, topic, new byte[0], 0, 0, false, false);

            assertFailure(publish, false, ProtocolViolation.MALFORMED_PACKET);
        }
    }

    @Test
    void nulCharacterInStringIsMalformed() {
        byte[] publish = MqttPackets.publish(MQTT_3_1_1, new byte[] {'a', 0, 'b'}, new byte[0], 0, 0, false, false);
        byte[] subscribe = MqttPackets.subscribe(MQTT_3_1_1, 1, 0, "a\u0000");

        assertFailure(publish, false, ProtocolViolation.MALFORMED_PACKET);
        assertFailure(subscribe, false, ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void wildcardInTopicNameIsInvalidTopic() {
        assertFailure(MqttPackets.publish(MQTT_3_1_1, "a/+", "x", 0, 0), false, ProtocolViolation.INVALID_TOPIC);
        assertFailure(MqttPackets.publish(MQTT_3_1_1, "a/#", "x", 0, 0), false, ProtocolViolation.INVALID_TOPIC);
    }

    @Test
    void duplicatePropertyIsProtocolError() {
        byte[] publish = Mqtt5Packets.publish("a", "x", 0, 0, false,
                Mqtt5Properties.create().fourByteProperty(0x02, 10).fourByteProperty(0x02, 20));

        assertFailure(publish, true, ProtocolViolation.PROTOCOL_ERROR);
    }

    @Test
    void repeatedUserPropertiesKeptInOrder() {
        byte[] publish = Mqtt5Packets.publish("a", "x", 0, 0, false,
                Mqtt5Properties.create().userProperty("k", "1").userProperty("k", "2").userProperty("j", "3"));

        PublishPacket message = decodePublish(buffer(publish), true);

        assertEquals(List.of("k=1", "k=2", "j=3"), userProperties(message.properties()));
    }

    @Test
    void propertyOfOtherPacketTypeIsMalformed() {
        byte[] publishWithSessionExpiry = Mqtt5Packets.publish("a", "x", 0, 0, false,
                Mqtt5Properties.create().sessionExpiryInterval(5));
        byte[] unknownIdentifier = Mqtt5Packets.publish("a", "x", 0, 0, false,
                Mqtt5Properties.create().byteProperty(0x7F, 1));

        assertFailure(publishWithSessionExpiry, true, ProtocolViolation.MALFORMED_PACKET);
        assertFailure(unknownIdentifier, true, ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void subscriptionIdentifierFromClientIsProtocolError() {
        // MQTT 5.0 section 3.3.2.3.8 and [MQTT-3.3.4-6]: a client's PUBLISH must not carry a Subscription Identifier.
        byte[] publishWithSubscriptionId = Mqtt5Packets.publish("a", "x", 0, 0, false,
                Mqtt5Properties.create().varIntProperty(0x0B, 1));

        assertFailure(publishWithSubscriptionId, true, ProtocolViolation.PROTOCOL_ERROR);
    }

    @Test
    void wildcardResponseTopicIsProtocolError() {
        byte[] publish = Mqtt5Packets.publish("a", "x", 0, 0, false,
                Mqtt5Properties.create().stringProperty(0x08, "replies/+"));

        assertFailure(publish, true, ProtocolViolation.PROTOCOL_ERROR);
    }

    @Test
    void propertyPastItsBlockIsMalformed() {
        // Property length 2, then a four-byte Message Expiry Interval that runs past it.
        MqttPackets.Writer body = new MqttPackets.Writer().utf8("a").varInt(2).u8(0x02).u32(1);
        byte[] publish = MqttPackets.packet(MqttPackets.PUBLISH << 4, body.toBytes());

        assertFailure(publish, true, ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void requestProblemInformation2IsProtocolError() {
        byte[] connect = Mqtt5Packets.connect("rpi")
                .properties(Mqtt5Properties.create().requestProblemInformation(2)).toBytes();

        InvalidPacketException failure = assertFailure(connect, false, ProtocolViolation.PROTOCOL_ERROR);

        assertEquals(5, failure.connectProtocolLevel());
    }

    @Test
    void packetIdZeroRejected() {
        assertFailure(MqttPackets.publish(MQTT_3_1_1, "a", "x", 1, 0), false, ProtocolViolation.MALFORMED_PACKET);
        assertFailure(MqttPackets.subscribe(MQTT_3_1_1, 0, 0, "a"), false, ProtocolViolation.MALFORMED_PACKET);
        assertFailure(MqttPackets.unsubscribe(MQTT_3_1_1, 0, "a"), false, ProtocolViolation.MALFORMED_PACKET);
        assertFailure(MqttPackets.puback(0), false, ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void subscribeReservedOptionBitsAreMalformed() {
        byte[] mqtt3 = MqttPackets.subscribe(MQTT_3_1_1, 1, 0x04, "a");
        byte[] mqtt5 = Mqtt5Packets.subscribe(1, Mqtt5Properties.none(), "a", 0x40);
        byte[] qos3 = MqttPackets.subscribe(MQTT_3_1_1, 1, 3, "a");

        assertFailure(mqtt3, false, ProtocolViolation.MALFORMED_PACKET);
        assertFailure(mqtt5, true, ProtocolViolation.MALFORMED_PACKET);
        assertFailure(qos3, false, ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void trailingBytesAreMalformed() {
        assertFailure(new byte[] {(byte) 0xC0, 0x01, 0x00}, false, ProtocolViolation.MALFORMED_PACKET);
        assertFailure(new byte[] {0x40, 0x03, 0x00, 0x01, 0x00}, false, ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void oversizedPacketRejectedFromFixedHeader() {
        // Only the fixed header of a PUBLISH announcing 100,000 bytes: the body is never awaited.
        ByteBuf buffer = buffer(new MqttPackets.Writer().u8(MqttPackets.PUBLISH << 4).varInt(100_000).toBytes());

        MqttMessage message = (MqttMessage) decode(buffer, 4);

        assertNotNull(message, "the decoder waited for the body");
        InvalidPacketException failure = assertInstanceOf(InvalidPacketException.class, message.decoderResult().cause());
        assertEquals(ProtocolViolation.PACKET_TOO_LARGE, failure.violation());
        buffer.release();
    }

    @Test
    void packetAtMaximumSizeAccepted() {
        byte[] publish = MqttPackets.publish(MQTT_3_1_1, "a", "x".repeat(MAX_PACKET_SIZE - 6), 0, 0);

        PublishPacket message = decodePublish(buffer(publish), false);

        assertEquals(MAX_PACKET_SIZE, publish.length);
        assertEquals(MAX_PACKET_SIZE - 6, message.payloadLength());
        assertFailure(MqttPackets.publish(MQTT_3_1_1, "a", "x".repeat(MAX_PACKET_SIZE - 5), 0, 0), false,
                ProtocolViolation.PACKET_TOO_LARGE);
    }

    @Test
    void unsupportedProtocolGetsReturnCode1() {
        InvalidPacketException level6 = assertFailure(ConnectPacket.mqtt311("v6").protocolLevel(6).toBytes(), false,
                ProtocolViolation.UNSUPPORTED_PROTOCOL_VERSION);
        InvalidPacketException name = assertFailure(ConnectPacket.mqtt311("n").protocolName("MQTX").toBytes(), false,
                ProtocolViolation.UNSUPPORTED_PROTOCOL_VERSION);

        assertEquals(ConnectRequest.V3_UNACCEPTABLE_PROTOCOL_VERSION, level6.v3ReturnCode());
        assertEquals(4, level6.connectProtocolLevel());
        assertEquals(ConnectRequest.V3_UNACCEPTABLE_PROTOCOL_VERSION, name.v3ReturnCode());
    }

    @Test
    void protocolNameNearKnownNameIsUnsupported() {
        for (String name : List.of("MQT", "MQTTT", "mqtt", "MQIsd", "MQIsdpX", "")) {
            InvalidPacketException failure = assertFailure(
                    ConnectPacket.mqtt311("near").protocolName(name).toBytes(), false,
                    ProtocolViolation.UNSUPPORTED_PROTOCOL_VERSION);

            assertEquals(ConnectRequest.V3_UNACCEPTABLE_PROTOCOL_VERSION, failure.v3ReturnCode(), name);
        }
    }

    @Test
    void protocolNameCutShortIsMalformed() {
        // The remaining length covers the name's length field and 2 of the 4 bytes of "MQTT".
        byte[] packet = {0x10, 0x04, 0x00, 0x04, 'M', 'Q'};

        assertFailure(packet, false, ProtocolViolation.MALFORMED_PACKET);
    }

    @Test
    void reservedConnectFlagIsMalformedConnect() {
        InvalidPacketException failure = assertFailure(
                ConnectPacket.mqtt5("reserved").reservedFlag(true).toBytes(), false, ProtocolViolation.MALFORMED_PACKET);

        assertTrue(failure.inConnect());
        assertEquals(5, failure.connectProtocolLevel());
    }

    @Test
    void reservedConnectFlagIgnoredIn31() {
        ByteBuf buffer = buffer(ConnectPacket.mqtt31("reserved31").reservedFlag(true).toBytes());

        DecodedConnect connect = decodeConnect(buffer);
        buffer.release();

        assertEquals(3, connect.protocolLevel());
        assertEquals("reserved31", connect.clientId());
    }

    @Test
    void reservedConnectFlagIsMalformedIn311() {
        InvalidPacketException failure = assertFailure(
                ConnectPacket.mqtt311("reserved").reservedFlag(true).toBytes(), false, ProtocolViolation.MALFORMED_PACKET);

        assertEquals(4, failure.connectProtocolLevel());
    }

    @Test
    void partialPacketAppendedWithoutLeak() {
        ByteBuf partial = ByteBufAllocator.DEFAULT.buffer(2, 2).writeBytes(new byte[] {(byte) 0xC0, 0x00});
        partial.readerIndex(1);
        ByteBuf received = ByteBufAllocator.DEFAULT.buffer(3).writeBytes(new byte[] {1, 2, 3});

        ByteBuf combined = PacketDecoder.append(ByteBufAllocator.DEFAULT, partial, received);

        assertEquals(4, combined.readableBytes());
        assertEquals(0, partial.refCnt());
        assertEquals(0, received.refCnt());
        combined.release();
    }

    @Test
    void partialPacketGrowsGeometrically() {
        // A PUBLISH of 1,000 bytes, of which 10 were received: the next read of 10 bytes gets room for 40.
        ByteBuf partial = ByteBufAllocator.DEFAULT.buffer(10, 10)
                .writeBytes(new MqttPackets.Writer().u8(MqttPackets.PUBLISH << 4).varInt(997).bytes(new byte[7])
                        .toBytes());
        ByteBuf received = ByteBufAllocator.DEFAULT.buffer(10).writeBytes(new byte[10]);

        ByteBuf combined = PacketDecoder.append(ByteBufAllocator.DEFAULT, partial, received);

        assertEquals(20, combined.readableBytes());
        assertEquals(40, combined.capacity());
        combined.release();
    }

    @Test
    void partialPacketCapacityEndsWithPacket() {
        // A PUBACK is 4 bytes long, so the buffer gets no room beyond them.
        ByteBuf partial = ByteBufAllocator.DEFAULT.buffer(2, 2).writeBytes(new byte[] {0x40, 0x02});
        ByteBuf received = ByteBufAllocator.DEFAULT.buffer(1).writeBytes(new byte[] {0x00});

        ByteBuf combined = PacketDecoder.append(ByteBufAllocator.DEFAULT, partial, received);

        assertEquals(3, combined.readableBytes());
        assertEquals(4, combined.capacity());
        combined.release();
    }

    private static Object decode(ByteBuf buffer, int protocolLevel) {
        return PacketDecoder.decode(buffer, MAX_PACKET_SIZE, protocolLevel, new PublishPacket());
    }

    private static PublishPacket decodePublish(ByteBuf buffer, boolean mqtt5) {
        Object packet = decode(buffer, mqtt5 ? 5 : 4);
        assertNotNull(packet, "incomplete packet");
        return assertInstanceOf(PublishPacket.class, packet);
    }

    /** Returns the fields of a PUBLISH to the topic {@code topic}, as if the connection had decoded one before. */
    private static PublishPacket publishWithTopic(String topic) {
        PublishPacket publish = new PublishPacket();
        publish.set(0, topic, -1, MqttProperties.NO_PROPERTIES, Unpooled.EMPTY_BUFFER, 0, 0);
        return publish;
    }

    private static String payload(PublishPacket publish) {
        return publish.buffer().toString(publish.payloadIndex(), publish.payloadLength(), StandardCharsets.UTF_8);
    }

    private static DecodedConnect decodeConnect(ByteBuf buffer) {
        Object packet = decode(buffer, 0);
        assertNotNull(packet, "incomplete packet");
        return assertInstanceOf(DecodedConnect.class, packet, "decoded: " + packet);
    }

    private static MqttMessage decodeOk(ByteBuf buffer, boolean mqtt5) {
        Object packet = decode(buffer, mqtt5 ? 5 : 4);
        assertNotNull(packet, "incomplete packet");
        MqttMessage message = assertInstanceOf(MqttMessage.class, packet);
        assertTrue(message.decoderResult().isSuccess(), String.valueOf(message.decoderResult()));
        return message;
    }

    private static InvalidPacketException assertFailure(byte[] packet, boolean mqtt5, ProtocolViolation expected) {
        ByteBuf buffer = buffer(packet);
        Object decoded = decode(buffer, mqtt5 ? 5 : 4);
        buffer.release();
        assertNotNull(decoded, "incomplete packet");
        MqttMessage message = assertInstanceOf(MqttMessage.class, decoded, "decoded: " + decoded);
        InvalidPacketException failure = assertInstanceOf(InvalidPacketException.class,
                message.decoderResult().cause(), "decoded: " + message);
        assertEquals(expected, failure.violation(), failure.getMessage());
        return failure;
    }

    private static ByteBuf buffer(byte[]... packets) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (byte[] packet : packets) {
            bytes.writeBytes(packet);
        }
        return Unpooled.wrappedBuffer(bytes.toByteArray());
    }

    private static List<String> userProperties(MqttProperties properties) {
        List<String> pairs = new ArrayList<>();
        for (MqttProperties.MqttProperty<?> property : properties.getProperties(MqttProperties.USER_PROPERTY)) {
            MqttProperties.StringPair pair = ((MqttProperties.UserProperty) property).value();
            pairs.add(pair.key + "=" + pair.value);
        }
        return pairs;
    }
}
