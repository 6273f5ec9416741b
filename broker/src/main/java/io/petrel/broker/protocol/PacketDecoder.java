package io.petrel.broker.protocol;

import static io.petrel.broker.protocol.PacketFields.malformed;
import static io.petrel.broker.protocol.PacketFields.protocolError;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttSubscribePayload;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.handler.codec.mqtt.MqttUnsubscribePayload;
import io.petrel.broker.routing.Topics;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the packets a client sends (MQTT 3.1, 3.1.1 and 5.0), one packet per call: PUBLISH into
 * the connection's {@link PublishPacket}, CONNECT into a {@link DecodedConnect}, the other packets
 * into netty-codec-mqtt's message types.
 * The connection keeps its partly received bytes itself, so the decoder has no state: an idle
 * connection pays for no decoder object, buffer or charset decoder.
 *
 * <p>The fixed header is checked first: the packet type, the reserved flags [MQTT-2.2.2-2], a
 * remaining length of at most 4 bytes, and the maximum packet size, which is enforced before the
 * body is waited for, so an oversized body is never buffered. A packet that breaks a rule is
 * returned as a message whose decoder result failed with an {@link InvalidPacketException}.
 *
 * <p>Stateless; called on the event loop of the connection whose bytes are decoded.
 */
final class PacketDecoder {

    private static final int DUP_FLAG = 0b1000;

    /**
     * The fixed headers of PUBACK, PUBREC, PUBREL and PUBCOMP with the remaining length 2 that every
     * MQTT 3 acknowledgement has, indexed by packet type. Fixed headers are immutable, so these are
     * shared instead of decoded per packet. Other packet types have null.
     */
    private static final MqttFixedHeader[] SHORT_REPLY_HEADERS = shortReplyHeaders();

    private PacketDecoder() {
    }

    /** Returns true if the packet at the reader index of {@code buffer} is a PUBLISH, by its first byte. */
    static boolean startsPublish(ByteBuf buffer) {
        return buffer.isReadable()
                && (buffer.getByte(buffer.readerIndex()) & 0xF0) >> 4 == MqttMessageType.PUBLISH.value();
    }

    /**
     * Decodes the packet at the reader index of {@code buffer} and moves the reader index past it.
     * Returns null, leaving the reader index where it was, when the buffer ends inside the packet.
     * A PUBLISH is read into {@code publish}, which is then returned, and a CONNECT is returned as a
     * {@link DecodedConnect}. Any other packet, and a packet that failed to decode, is returned as an
     * {@link MqttMessage}. After a failed packet the reader
     * index is undefined and the caller must discard the rest of the connection's input.
     *
     * <p>A PUBLISH whose topic name has the same bytes as the topic that {@code publish} contains from
     * the previous PUBLISH gets that string instead of a new one, so a client that keeps publishing
     * to one topic costs no string per packet.
     *
     * @param maxPacketSizeBytes the largest packet accepted, fixed header included
     * @param protocolLevel the protocol level of the connection's CONNECT (3 for MQTT 3.1, 4 for
     *                      3.1.1, 5 for 5.0), or 0 before CONNECT
     * @param publish the connection's PUBLISH fields, refilled when the packet is a PUBLISH; may be
     *                null only when {@link #startsPublish} is false
     */
    static Object decode(ByteBuf buffer, int maxPacketSizeBytes, int protocolLevel, PublishPacket publish) {
        boolean mqtt5 = protocolLevel == ConnectDecoder.MQTT_5;
        int start = buffer.readerIndex();
        int readable = buffer.readableBytes();
        if (readable < 2) {
            return null;
        }
        try {
            int first = buffer.getUnsignedByte(start);
            MqttMessageType type = checkFirstByte(first, protocolLevel);
            long fixedHeader = fixedHeader(buffer, start, readable, mqtt5);
            if (fixedHeader < 0) {
                return null;
            }
            int headerLength = headerLength(fixedHeader);
            int remainingLength = remainingLength(fixedHeader);
            long packetSize = (long) headerLength + remainingLength;
            if (packetSize > maxPacketSizeBytes) {
                throw new InvalidPacketException(ProtocolViolation.PACKET_TOO_LARGE, type + " of " + packetSize
                        + " bytes is larger than the maximum packet size of " + maxPacketSizeBytes + " bytes");
            }
            if (readable < packetSize) {
                return null;
            }
            int end = start + (int) packetSize;
            if (type == MqttMessageType.PUBLISH || type == MqttMessageType.CONNECT) {
                Object packet = decodeInPlace(type, buffer, start + headerLength, end, first & 0x0F, mqtt5, publish);
                if (packet instanceof DecodedConnect connect && connect.protocolLevel() == ConnectDecoder.MQTT_5
                        && headerLength != 1 + PublishEncoder.variableIntLength(remainingLength)) {
                    // [MQTT-1.5.5-1], checked here because a CONNECT's version is known only from its body.
                    throw malformed("remaining length is not encoded in the fewest bytes")
                            .inConnect(0, ConnectDecoder.MQTT_5);
                }
                buffer.readerIndex(end);
                return packet;
            }
            MqttFixedHeader shortReply = remainingLength == 2 ? SHORT_REPLY_HEADERS[type.value()] : null;
            if (shortReply != null) {
                // The usual acknowledgement: a packet identifier alone, read in place without a slice.
                int packetId = buffer.getUnsignedShort(start + headerLength);
                buffer.readerIndex(end);
                return shortPublishReply(shortReply, packetId, mqtt5);
            }
            ByteBuf body = buffer.slice(start + headerLength, remainingLength);
            buffer.readerIndex(end);
            return decodeBody(type, remainingLength, body, mqtt5);
        } catch (InvalidPacketException e) {
            return new MqttMessage(null, null, null, DecoderResult.failure(e));
        }
    }

    /**
     * Reads a complete PUBACK that carries only a valid packet identifier at the reader index of
     * {@code buffer}, and returns the identifier. Every MQTT 3 PUBACK has this form, and so has an
     * MQTT 5.0 one that leaves out reason code 0x00. Returns 0, leaving the reader index where it was,
     * for any other input, which {@link #decode} then decodes or rejects.
     */
    static int readShortPubAck(ByteBuf buffer, int maxPacketSizeBytes) {
        int start = buffer.readerIndex();
        if (buffer.readableBytes() < 4 || maxPacketSizeBytes < 4
                || buffer.getUnsignedByte(start) != MqttMessageType.PUBACK.value() << 4
                || buffer.getUnsignedByte(start + 1) != 2) {
            return 0;
        }
        int packetId = buffer.getUnsignedShort(start + 2);
        if (packetId != 0) {
            buffer.readerIndex(start + 4);
        }
        return packetId;
    }

    /**
     * Returns a buffer with the unread bytes of {@code partial} followed by those of {@code received},
     * and releases both inputs unless the result is {@code partial} itself. {@code partial} is reused
     * if it has room and nothing else refers to it. Otherwise the new buffer has room for twice the
     * bytes so far, but not beyond the end of the packet that {@code partial} starts. A large packet
     * received in many reads is therefore copied a logarithmic number of times, and a buffer made
     * here has room for at most twice the bytes received so far.
     */
    static ByteBuf append(ByteBufAllocator allocator, ByteBuf partial, ByteBuf received) {
        try {
            if (partial.refCnt() == 1 && partial.writableBytes() >= received.readableBytes()) {
                partial.writeBytes(received);
                return partial;
            }
            int needed = partial.readableBytes() + received.readableBytes();
            long packetSize = packetSize(partial);
            int capacity = packetSize > needed ? (int) Math.min(packetSize, 2L * needed) : needed;
            ByteBuf combined = allocator.buffer(capacity);
            combined.writeBytes(partial).writeBytes(received);
            partial.release();
            return combined;
        } finally {
            received.release();
        }
    }

    /**
     * Returns the size of the packet at the reader index of {@code buffer}, fixed header included,
     * or -1 when its fixed header is incomplete or invalid. The decoder checked the fixed header of
     * a packet kept as partly received against the maximum packet size already.
     */
    private static long packetSize(ByteBuf buffer) {
        try {
            long fixedHeader = fixedHeader(buffer, buffer.readerIndex(), buffer.readableBytes(), false);
            return fixedHeader < 0 ? -1 : (long) headerLength(fixedHeader) + remainingLength(fixedHeader);
        } catch (InvalidPacketException e) {
            return -1;
        }
    }

    /**
     * Reads the remaining length of the packet that starts at {@code start}, of which {@code readable}
     * bytes are present. Returns -1 when the remaining length is not complete yet, otherwise the
     * remaining length and the length of the fixed header packed into one value, which
     * {@link #remainingLength(long)} and {@link #headerLength(long)} take apart.
     *
     * @param fewestBytes true to reject a remaining length that is not encoded in the fewest bytes
     */
    private static long fixedHeader(ByteBuf buffer, int start, int readable, boolean fewestBytes)
            throws InvalidPacketException {
        int remainingLength = 0;
        for (int i = 1; ; i++) {
            if (i > 4) {
                throw malformed("remaining length is longer than 4 bytes");
            }
            if (i >= readable) {
                return -1;
            }
            int encoded = buffer.getUnsignedByte(start + i);
            if (i > 1 && encoded == 0 && fewestBytes) {
                // [MQTT-1.5.5-1] requires the fewest bytes in MQTT 5.0 only. MQTT 3.1.1 section 2.2.3 has
                // no such rule, and netty-codec-mqtt's decoder and Mosquitto 2.0.11 accept a longer form.
                // A CONNECT is read before its version is known, so decode checks it afterwards.
                throw malformed("remaining length is not encoded in the fewest bytes");
            }
            remainingLength |= (encoded & 0x7F) << (7 * (i - 1));
            if ((encoded & 0x80) == 0) {
                return (long) remainingLength << Integer.SIZE | (i + 1);
            }
        }
    }

    private static int remainingLength(long fixedHeader) {
        return (int) (fixedHeader >>> Integer.SIZE);
    }

    private static int headerLength(long fixedHeader) {
        return (int) fixedHeader;
    }

    /** Returns the packet type of the first byte after checking that a client may send it with these flags. */
    private static MqttMessageType checkFirstByte(int first, int protocolLevel) throws InvalidPacketException {
        int typeValue = first >>> 4;
        int flags = first & 0x0F;
        if (typeValue == 0 || (typeValue == 15 && protocolLevel != ConnectDecoder.MQTT_5)) {
            throw malformed("packet type " + typeValue + " is reserved");
        }
        MqttMessageType type = MqttMessageType.valueOf(typeValue);
        int expectedFlags = switch (type) {
            case PUBLISH -> flags;
            case PUBREL, SUBSCRIBE, UNSUBSCRIBE -> 0b0010;
            case CONNACK, SUBACK, UNSUBACK, PINGRESP -> throw protocolError(type + " is sent only by servers");
            default -> 0;
        };
        if (protocolLevel == ConnectDecoder.MQTT_3_1 && expectedFlags == 0b0010 && flags == (0b0010 | DUP_FLAG)) {
            // MQTT 3.1 section 4.2: a client that resends PUBREL, SUBSCRIBE or UNSUBSCRIBE for want of an
            // acknowledgement should set DUP. MQTT 3.1.1 made these flags fixed [MQTT-2.2.2-2].
            return type;
        }
        if (flags != expectedFlags) {
            // [MQTT-2.2.2-2]: reserved flags that are not as the specification lists them make the packet malformed.
            throw malformed(type + " with flags 0x" + Integer.toHexString(flags) + " instead of 0x"
                    + Integer.toHexString(expectedFlags));
        }
        if (type == MqttMessageType.PUBLISH && (flags & 0b0110) == 0b0110) {
            // [MQTT-3.3.1-4]: QoS 3 is invalid.
            throw malformed("PUBLISH with QoS 3");
        }
        return type;
    }

    private static MqttFixedHeader[] shortReplyHeaders() {
        MqttFixedHeader[] headers = new MqttFixedHeader[16];
        for (MqttMessageType type : new MqttMessageType[] {MqttMessageType.PUBACK, MqttMessageType.PUBREC,
                MqttMessageType.PUBREL, MqttMessageType.PUBCOMP}) {
            headers[type.value()] = Packets.replyHeader(type, 2);
        }
        return headers;
    }

    private static MqttMessage decodeBody(MqttMessageType type, int remainingLength, ByteBuf body, boolean mqtt5)
            throws InvalidPacketException {
        MqttFixedHeader header = switch (type) {
            case PUBREL, SUBSCRIBE, UNSUBSCRIBE -> new MqttFixedHeader(type, false, MqttQoS.AT_LEAST_ONCE, false,
                    remainingLength);
            default -> new MqttFixedHeader(type, false, MqttQoS.AT_MOST_ONCE, false, remainingLength);
        };
        return switch (type) {
            case PUBACK, PUBREC, PUBREL, PUBCOMP -> publishReply(header, body, mqtt5);
            case SUBSCRIBE -> subscribe(header, body, mqtt5);
            case UNSUBSCRIBE -> unsubscribe(header, body, mqtt5);
            case PINGREQ -> {
                requireEnd(body, type);
                yield MqttMessage.PINGREQ;
            }
            case DISCONNECT, AUTH -> reasonCodeAndProperties(header, body, mqtt5);
            default -> throw protocolError(type + " is sent only by servers");
        };
    }

    /**
     * Reads the PUBLISH or CONNECT whose body runs from {@code bodyStart} to {@code end} of
     * {@code buffer}: a PUBLISH into {@code publish}, which is returned, a CONNECT into a new
     * {@link DecodedConnect}. The fields are read from the buffer itself, without a slice: its writer
     * index is lowered to the end of the packet meanwhile, so a field that runs past the packet fails as
     * it would in a slice.
     */
    private static Object decodeInPlace(MqttMessageType type, ByteBuf buffer, int bodyStart, int end, int flags,
                                        boolean mqtt5, PublishPacket publish) throws InvalidPacketException {
        int writerIndex = buffer.writerIndex();
        buffer.readerIndex(bodyStart);
        buffer.writerIndex(end);
        try {
            if (type == MqttMessageType.CONNECT) {
                return ConnectDecoder.read(buffer);
            }
            publish(buffer, end, flags, mqtt5, publish);
            return publish;
        } finally {
            buffer.writerIndex(writerIndex);
        }
    }

    /**
     * Reads the PUBLISH body at the reader index of {@code buffer}, whose writer index is the packet's
     * {@code end}, into {@code publish}.
     */
    private static void publish(ByteBuf buffer, int end, int flags, boolean mqtt5, PublishPacket publish)
            throws InvalidPacketException {
        String topic = PacketFields.readString(buffer, "topic name", publish.topic());
        if (Topics.hasWildcard(topic)) {
            // [MQTT-3.3.2-2]: a topic name contains no wildcards.
            throw new InvalidPacketException(ProtocolViolation.INVALID_TOPIC,
                    "topic name '" + topic + "' contains a wildcard");
        }
        // QoS 0 has no packet identifier, marked -1 as netty-codec-mqtt does.
        int packetId = (flags & 0b0110) == 0 ? -1 : PacketFields.readPacketId(buffer);
        MqttProperties properties = mqtt5 ? PropertyDecoder.read(buffer, PropertyDecoder.Scope.PUBLISH)
                : MqttProperties.NO_PROPERTIES;
        // The payload stays in the network buffer until the connection has handled the PUBLISH.
        int payloadIndex = buffer.readerIndex();
        publish.set(flags, topic, packetId, properties, buffer, payloadIndex, end - payloadIndex);
    }

    /**
     * Returns PUBACK, PUBREC, PUBREL or PUBCOMP whose body is the packet identifier alone. In MQTT 5.0
     * that means reason code 0x00 (success) and no properties.
     */
    private static MqttMessage shortPublishReply(MqttFixedHeader header, int packetId, boolean mqtt5)
            throws InvalidPacketException {
        if (packetId == 0) {
            throw malformed("packet identifier 0 is invalid");
        }
        if (!mqtt5) {
            return new MqttMessage(header, MqttMessageIdVariableHeader.from(packetId));
        }
        return new MqttMessage(header, new MqttPubReplyMessageVariableHeader(packetId, (byte) 0,
                MqttProperties.NO_PROPERTIES));
    }

    /** Decodes PUBACK, PUBREC, PUBREL or PUBCOMP; in MQTT 5.0 the reason code and properties may be left out. */
    private static MqttMessage publishReply(MqttFixedHeader header, ByteBuf body, boolean mqtt5)
            throws InvalidPacketException {
        int packetId = PacketFields.readPacketId(body);
        if (!mqtt5) {
            requireEnd(body, header.messageType());
            return new MqttMessage(header, MqttMessageIdVariableHeader.from(packetId));
        }
        byte reasonCode = body.isReadable() ? (byte) PacketFields.readByte(body, "reason code") : 0;
        MqttProperties properties = body.isReadable()
                ? PropertyDecoder.read(body, PropertyDecoder.Scope.PUBLISH_REPLY) : MqttProperties.NO_PROPERTIES;
        requireEnd(body, header.messageType());
        return new MqttMessage(header, new MqttPubReplyMessageVariableHeader(packetId, reasonCode, properties));
    }

    private static MqttSubscribeMessage subscribe(MqttFixedHeader header, ByteBuf body, boolean mqtt5)
            throws InvalidPacketException {
        int packetId = PacketFields.readPacketId(body);
        MqttProperties properties = mqtt5 ? PropertyDecoder.read(body, PropertyDecoder.Scope.SUBSCRIBE)
                : MqttProperties.NO_PROPERTIES;
        // An empty list is returned as it is: the connection rejects it as a protocol error [MQTT-3.8.3-3].
        List<MqttTopicSubscription> subscriptions = new ArrayList<>(1);
        while (body.isReadable()) {
            String filter = PacketFields.readString(body, "topic filter");
            int options = PacketFields.readByte(body, "subscription options");
            subscriptions.add(new MqttTopicSubscription(filter, subscriptionOption(options, mqtt5)));
        }
        return new MqttSubscribeMessage(header, new MqttMessageIdAndPropertiesVariableHeader(packetId, properties),
                new MqttSubscribePayload(subscriptions));
    }

    private static MqttSubscriptionOption subscriptionOption(int options, boolean mqtt5) throws InvalidPacketException {
        int qos = options & 0b11;
        if (qos == 3) {
            // [MQTT-3.8.3-4] in 3.1.1, section 3.8.3.1 in 5.0: QoS 3 makes the SUBSCRIBE malformed.
            throw malformed("subscription with QoS 3");
        }
        if (!mqtt5) {
            if ((options & 0b1111_1100) != 0) {
                // [MQTT-3.8.3-4]: the upper 6 bits of the requested QoS byte are reserved.
                throw malformed("reserved bits set in the requested QoS 0x" + Integer.toHexString(options));
            }
            return MqttSubscriptionOption.onlyFromQos(MqttQoS.valueOf(qos));
        }
        if ((options & 0b1100_0000) != 0) {
            // [MQTT-3.8.3-5]: the reserved bits of the subscription options must be 0.
            throw malformed("reserved bits set in the subscription options 0x" + Integer.toHexString(options));
        }
        int retainHandling = (options >> 4) & 0b11;
        if (retainHandling == 3) {
            // MQTT 5.0 section 3.8.3.1: Retain Handling 3 is a protocol error.
            throw protocolError("subscription with Retain Handling 3");
        }
        return new MqttSubscriptionOption(MqttQoS.valueOf(qos), (options & 0b0100) != 0, (options & 0b1000) != 0,
                MqttSubscriptionOption.RetainedHandlingPolicy.valueOf(retainHandling));
    }

    private static MqttUnsubscribeMessage unsubscribe(MqttFixedHeader header, ByteBuf body, boolean mqtt5)
            throws InvalidPacketException {
        int packetId = PacketFields.readPacketId(body);
        MqttProperties properties = mqtt5 ? PropertyDecoder.read(body, PropertyDecoder.Scope.UNSUBSCRIBE)
                : MqttProperties.NO_PROPERTIES;
        // An empty list is returned as it is: the connection rejects it as a protocol error [MQTT-3.10.3-2].
        List<String> filters = new ArrayList<>(1);
        while (body.isReadable()) {
            filters.add(PacketFields.readString(body, "topic filter"));
        }
        return new MqttUnsubscribeMessage(header, new MqttMessageIdAndPropertiesVariableHeader(packetId, properties),
                new MqttUnsubscribePayload(filters));
    }

    /**
     * Decodes DISCONNECT or AUTH. In MQTT 5.0 both may leave out the reason code (then 0x00) and the
     * properties; in MQTT 3 a DISCONNECT has no body.
     */
    private static MqttMessage reasonCodeAndProperties(MqttFixedHeader header, ByteBuf body, boolean mqtt5)
            throws InvalidPacketException {
        if (!mqtt5) {
            requireEnd(body, header.messageType());
            return new MqttMessage(header);
        }
        byte reasonCode = body.isReadable() ? (byte) PacketFields.readByte(body, "reason code") : 0;
        PropertyDecoder.Scope scope = header.messageType() == MqttMessageType.AUTH
                ? PropertyDecoder.Scope.AUTH : PropertyDecoder.Scope.DISCONNECT;
        MqttProperties properties = body.isReadable() ? PropertyDecoder.read(body, scope) : MqttProperties.NO_PROPERTIES;
        requireEnd(body, header.messageType());
        return new MqttMessage(header, new MqttReasonCodeAndPropertiesVariableHeader(reasonCode, properties));
    }

    private static void requireEnd(ByteBuf body, MqttMessageType type) throws InvalidPacketException {
        if (body.isReadable()) {
            throw malformed(body.readableBytes() + " unexpected bytes at the end of " + type);
        }
    }
}
