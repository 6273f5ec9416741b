package io.petrel.broker.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.petrel.api.Message;
import io.petrel.api.UserProperty;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Encodes outbound PUBLISH packets straight from a {@link Message}, for MQTT 3.1, 3.1.1 and 5.0.
 * Stateless.
 *
 * <p>The packet identifier is written at a fixed offset ({@link #packetIdOffset}) so that one encoded
 * packet can be shared by many QoS 1 and 2 subscribers, each sending its own two-byte identifier
 * between a shared head and a shared tail.
 */
public final class PublishEncoder {

    private static final int PAYLOAD_FORMAT_INDICATOR = 0x01;
    private static final int MESSAGE_EXPIRY_INTERVAL = 0x02;
    private static final int CONTENT_TYPE = 0x03;
    private static final int RESPONSE_TOPIC = 0x08;
    private static final int CORRELATION_DATA = 0x09;
    private static final int SUBSCRIPTION_IDENTIFIER = 0x0B;
    private static final int TOPIC_ALIAS = 0x23;
    private static final int USER_PROPERTY = 0x26;

    /**
     * Payloads up to this many bytes are copied with absolute reads, larger ones through
     * {@link ByteBuf#writeBytes(ByteBuffer)}.
     */
    private static final int SMALL_PAYLOAD_BYTES = 1024;

    private PublishEncoder() {
    }

    /**
     * Encodes a complete PUBLISH packet.
     *
     * @param mqtt5    true for the MQTT 5.0 layout (with a properties section)
     * @param qos      0, 1 or 2
     * @param packetId the packet identifier, ignored at QoS 0
     * @return a new buffer owned by the caller
     */
    public static ByteBuf encode(ByteBufAllocator allocator, Message message, boolean mqtt5, int qos,
                                 boolean retain, boolean dup, int packetId) {
        return encode(allocator, message, mqtt5, qos, retain, dup, packetId,
                mqtt5 ? variantOf(message) : PublishVariant.NONE);
    }

    /**
     * Encodes a complete PUBLISH packet with per-subscriber MQTT 5.0 parts.
     *
     * @param variant subscription identifiers, remaining expiry and topic alias; ignored for MQTT 3
     */
    static ByteBuf encode(ByteBufAllocator allocator, Message message, boolean mqtt5, int qos,
                          boolean retain, boolean dup, int packetId, PublishVariant variant) {
        String topic = mqtt5 && variant.omitTopic() ? "" : message.topic();
        int topicBytes = ByteBufUtil.utf8Bytes(topic);
        int propertiesBytes = mqtt5 ? propertiesLength(message, variant) : 0;
        int remaining = remainingLength(message, mqtt5, qos, topicBytes, propertiesBytes);
        ByteBuf out = allocator.buffer(1 + variableIntLength(remaining) + remaining);
        out.writeByte(0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0));
        writeVariableInt(out, remaining);
        out.writeShort(topicBytes);
        ByteBufUtil.reserveAndWriteUtf8(out, topic, topicBytes);
        if (qos > 0) {
            out.writeShort(packetId);
        }
        if (mqtt5) {
            writeVariableInt(out, propertiesBytes);
            writeProperties(out, message, variant);
        }
        writePayload(out, message.payload());
        return out;
    }

    private static void writePayload(ByteBuf out, ByteBuffer payload) {
        int length = payload.remaining();
        if (length > SMALL_PAYLOAD_BYTES) {
            out.writeBytes(payload);
            return;
        }
        // In Netty 4.2, writeBytes(ByteBuffer) into a buffer of the adaptive allocator creates an NIO
        // view of that buffer per call, an object about as large as a small payload.
        payload.order(ByteOrder.BIG_ENDIAN);
        int index = payload.position();
        int end = index + length;
        for (; index + Long.BYTES <= end; index += Long.BYTES) {
            out.writeLong(payload.getLong(index));
        }
        for (; index < end; index++) {
            out.writeByte(payload.get(index));
        }
    }

    /** Returns the size of the whole packet {@link #encode} would produce, fixed header included. */
    static long packetSize(Message message, boolean mqtt5, int qos, PublishVariant variant) {
        String topic = mqtt5 && variant.omitTopic() ? "" : message.topic();
        int propertiesBytes = mqtt5 ? propertiesLength(message, variant) : 0;
        long remaining = remainingLength(message, mqtt5, qos, ByteBufUtil.utf8Bytes(topic), propertiesBytes);
        return 1 + variableIntLength((int) Math.min(remaining, Integer.MAX_VALUE)) + remaining;
    }

    private static int remainingLength(Message message, boolean mqtt5, int qos, int topicBytes, int propertiesBytes) {
        return 2 + topicBytes
                + (qos > 0 ? 2 : 0)
                + (mqtt5 ? variableIntLength(propertiesBytes) + propertiesBytes : 0)
                + message.payloadSize();
    }

    /** Returns the variant that forwards the message's own expiry interval unchanged. */
    static PublishVariant variantOf(Message message) {
        long expiry = message.messageExpiryIntervalSeconds().orElse(-1);
        return expiry < 0 ? PublishVariant.NONE : new PublishVariant(PublishVariant.NONE.subscriptionIds(), expiry, 0, false);
    }

    /**
     * Returns where the packet identifier starts in a packet from {@link #encode}: after the fixed
     * header and the topic name.
     */
    public static int packetIdOffset(ByteBuf packet) {
        int index = packet.readerIndex() + 1;
        while ((packet.getByte(index) & 0x80) != 0) {
            index++;
        }
        index++;
        int topicLength = packet.getUnsignedShort(index);
        return index + 2 + topicLength - packet.readerIndex();
    }

    /** Returns the encoded size of a two-to-four-byte MQTT variable byte integer. */
    static int variableIntLength(int value) {
        if (value < 128) {
            return 1;
        }
        if (value < 16_384) {
            return 2;
        }
        if (value < 2_097_152) {
            return 3;
        }
        return 4;
    }

    static void writeVariableInt(ByteBuf out, int value) {
        int remaining = value;
        do {
            int digit = remaining & 0x7F;
            remaining >>>= 7;
            out.writeByte(remaining > 0 ? digit | 0x80 : digit);
        } while (remaining > 0);
    }

    private static int propertiesLength(Message message, PublishVariant variant) {
        int length = 0;
        if (message.payloadUtf8()) {
            length += 2;
        }
        if (variant.expiryIntervalSeconds() >= 0) {
            length += 5;
        }
        if (variant.topicAlias() > 0) {
            length += 3;
        }
        for (int id : variant.subscriptionIds()) {
            length += 1 + variableIntLength(id);
        }
        if (message.contentType().isPresent()) {
            length += 3 + ByteBufUtil.utf8Bytes(message.contentType().get());
        }
        if (message.responseTopic().isPresent()) {
            length += 3 + ByteBufUtil.utf8Bytes(message.responseTopic().get());
        }
        if (message.correlationData().isPresent()) {
            length += 3 + message.correlationData().get().remaining();
        }
        List<UserProperty> userProperties = message.userProperties();
        for (int i = 0; i < userProperties.size(); i++) {
            UserProperty property = userProperties.get(i);
            length += 5 + ByteBufUtil.utf8Bytes(property.name()) + ByteBufUtil.utf8Bytes(property.value());
        }
        return length;
    }

    private static void writeProperties(ByteBuf out, Message message, PublishVariant variant) {
        if (message.payloadUtf8()) {
            out.writeByte(PAYLOAD_FORMAT_INDICATOR);
            out.writeByte(1);
        }
        if (variant.expiryIntervalSeconds() >= 0) {
            out.writeByte(MESSAGE_EXPIRY_INTERVAL);
            out.writeInt((int) variant.expiryIntervalSeconds());
        }
        if (variant.topicAlias() > 0) {
            out.writeByte(TOPIC_ALIAS);
            out.writeShort(variant.topicAlias());
        }
        for (int id : variant.subscriptionIds()) {
            out.writeByte(SUBSCRIPTION_IDENTIFIER);
            writeVariableInt(out, id);
        }
        if (message.contentType().isPresent()) {
            out.writeByte(CONTENT_TYPE);
            writeString(out, message.contentType().get());
        }
        if (message.responseTopic().isPresent()) {
            out.writeByte(RESPONSE_TOPIC);
            writeString(out, message.responseTopic().get());
        }
        if (message.correlationData().isPresent()) {
            ByteBuffer data = message.correlationData().get();
            out.writeByte(CORRELATION_DATA);
            out.writeShort(data.remaining());
            out.writeBytes(data);
        }
        List<UserProperty> userProperties = message.userProperties();
        for (int i = 0; i < userProperties.size(); i++) {
            UserProperty property = userProperties.get(i);
            out.writeByte(USER_PROPERTY);
            writeString(out, property.name());
            writeString(out, property.value());
        }
    }

    private static void writeString(ByteBuf out, String value) {
        int length = ByteBufUtil.utf8Bytes(value);
        out.writeShort(length);
        ByteBufUtil.reserveAndWriteUtf8(out, value, length);
    }
}
