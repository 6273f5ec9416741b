package io.petrel.broker.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.mqtt.MqttConnAckVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import java.util.List;

/**
 * Encodes the control packets that a server sends to MQTT 3.1 and 3.1.1 clients, which have no
 * properties and the same layout in both versions. netty-codec-mqtt's encoder would do the same,
 * but its version lookup adds an attribute map to every channel it encodes for.
 *
 * <p>Stateless; called on the event loop of the connection written to.
 */
final class Mqtt3PacketEncoder {

    private Mqtt3PacketEncoder() {
    }

    /**
     * Returns {@code packet} encoded in the MQTT 3 layout, or null for a packet type that MQTT 3
     * servers do not send (DISCONNECT, AUTH) or that is not a control packet (PUBLISH).
     */
    static ByteBuf encode(ByteBufAllocator allocator, MqttMessage packet) {
        int firstByte = packet.fixedHeader().messageType().value() << 4;
        switch (packet.fixedHeader().messageType()) {
            case CONNACK -> {
                MqttConnAckVariableHeader header = (MqttConnAckVariableHeader) packet.variableHeader();
                return connAck(allocator, header.isSessionPresent(), header.connectReturnCode().byteValue());
            }
            case PUBACK, PUBREC, PUBCOMP, UNSUBACK -> {
                return packetIdOnly(allocator, firstByte, packetId(packet));
            }
            case PUBREL -> {
                // [MQTT-3.6.1-1]: PUBREL carries the fixed-header flags 0010.
                return packetIdOnly(allocator, firstByte | 0b0010, packetId(packet));
            }
            case SUBACK -> {
                List<Integer> codes = ((MqttSubAckPayload) packet.payload()).reasonCodes();
                ByteBuf buffer = allocator.buffer(5 + codes.size()).writeByte(firstByte);
                PublishEncoder.writeVariableInt(buffer, 2 + codes.size());
                buffer.writeShort(packetId(packet));
                for (int code : codes) {
                    buffer.writeByte(code);
                }
                return buffer;
            }
            case PINGRESP -> {
                return allocator.buffer(2).writeByte(firstByte).writeByte(0);
            }
            default -> {
                return null;
            }
        }
    }

    /** Encodes an MQTT 3 CONNACK with {@code returnCode} into a new buffer, without a packet object. */
    static ByteBuf connAck(ByteBufAllocator allocator, boolean sessionPresent, int returnCode) {
        return allocator.buffer(4).writeByte(MqttMessageType.CONNACK.value() << 4).writeByte(2)
                .writeByte(sessionPresent ? 0x01 : 0x00)
                .writeByte(returnCode);
    }

    /** Returns an MQTT 3 PUBACK for {@code packetId}. */
    static ByteBuf pubAck(ByteBufAllocator allocator, int packetId) {
        return packetIdOnly(allocator, MqttMessageType.PUBACK.value() << 4, packetId);
    }

    private static ByteBuf packetIdOnly(ByteBufAllocator allocator, int firstByte, int packetId) {
        return allocator.buffer(4).writeByte(firstByte).writeByte(2).writeShort(packetId);
    }

    private static int packetId(MqttMessage packet) {
        return ((MqttMessageIdVariableHeader) packet.variableHeader()).messageId();
    }
}
