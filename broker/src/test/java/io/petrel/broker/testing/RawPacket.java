package io.petrel.broker.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One MQTT control packet as read from the wire: the packet type, the four flag bits of the fixed
 * header and the bytes after the remaining length. Accessors decode the fields tests assert on.
 *
 * @param type  the packet type, 1 to 15 (see the constants in {@link MqttPackets})
 * @param flags the low four bits of the first byte
 * @param body  the variable header and payload
 */
public record RawPacket(int type, int flags, byte[] body) {

    private static final String[] TYPE_NAMES = {"RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK",
        "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ",
        "PINGRESP", "DISCONNECT", "AUTH"};

    /** Returns the packet type name, such as {@code PUBLISH}. */
    public String typeName() {
        return TYPE_NAMES[type];
    }

    /** Returns true for a CONNACK that accepts the connection (return or reason code 0x00). */
    public boolean isSuccessfulConnack() {
        return type == MqttPackets.CONNACK && body.length >= 2 && body[1] == 0;
    }

    /** Returns the CONNACK return code (MQTT 3.1.1) or reason code (MQTT 5.0). */
    public int connackCode() {
        return body[1] & 0xFF;
    }

    /** Returns the CONNACK session present flag. */
    public boolean sessionPresent() {
        return (body[0] & 0x01) != 0;
    }

    /** Returns the properties of an MQTT 5.0 CONNACK, keyed by property identifier. */
    public Map<Integer, List<Object>> connackProperties() {
        return properties(2);
    }

    /**
     * Returns the reason code of an MQTT 5.0 DISCONNECT or acknowledgement. A packet that leaves the
     * reason code out (DISCONNECT with no body, PUBACK with only the packet identifier) means 0x00.
     */
    public int reasonCode() {
        int offset = type == MqttPackets.DISCONNECT ? 0 : 2;
        return body.length > offset ? body[offset] & 0xFF : 0;
    }

    /** Returns the packet identifier of an acknowledgement, SUBACK or UNSUBACK. */
    public int packetId() {
        return (body[0] & 0xFF) << 8 | body[1] & 0xFF;
    }

    /** Returns the QoS bits of a PUBLISH. */
    public int qos() {
        return flags >> 1 & 0x03;
    }

    /** Returns the DUP flag of a PUBLISH. */
    public boolean dup() {
        return (flags & 0x08) != 0;
    }

    /** Returns the RETAIN flag of a PUBLISH. */
    public boolean retain() {
        return (flags & 0x01) != 0;
    }

    /** Returns the topic name of a PUBLISH. */
    public String topic() {
        int length = (body[0] & 0xFF) << 8 | body[1] & 0xFF;
        return new String(body, 2, length, StandardCharsets.UTF_8);
    }

    /** Returns the packet identifier of a QoS 1 or 2 PUBLISH. */
    public int publishPacketId() {
        int offset = 2 + topicLength();
        return (body[offset] & 0xFF) << 8 | body[offset + 1] & 0xFF;
    }

    /** Returns the payload of a PUBLISH as UTF-8 text, skipping the MQTT 5.0 properties for level 5. */
    public String payload(int protocolLevel) {
        int offset = 2 + topicLength() + (qos() > 0 ? 2 : 0);
        if (protocolLevel == MqttPackets.MQTT_5) {
            int[] lengthAndSize = readVarInt(offset);
            offset += lengthAndSize[1] + lengthAndSize[0];
        }
        return new String(body, offset, body.length - offset, StandardCharsets.UTF_8);
    }

    /** Returns the return codes (MQTT 3.1.1) or reason codes (MQTT 5.0) of a SUBACK, in filter order. */
    public List<Integer> subackCodes(int protocolLevel) {
        int offset = 2;
        if (protocolLevel == MqttPackets.MQTT_5) {
            int[] lengthAndSize = readVarInt(offset);
            offset += lengthAndSize[1] + lengthAndSize[0];
        }
        List<Integer> codes = new ArrayList<>();
        for (int i = offset; i < body.length; i++) {
            codes.add(body[i] & 0xFF);
        }
        return codes;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RawPacket packet
                && type == packet.type && flags == packet.flags && Arrays.equals(body, packet.body);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * type + flags) + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return typeName() + "(flags=" + Integer.toBinaryString(flags) + ", body=" + HexFormat.of().formatHex(body) + ')';
    }

    private int topicLength() {
        return (body[0] & 0xFF) << 8 | body[1] & 0xFF;
    }

    /** Returns {value, number of bytes} of the variable byte integer at {@code offset}. */
    private int[] readVarInt(int offset) {
        int value = 0;
        int size = 0;
        int digit;
        do {
            digit = body[offset + size] & 0xFF;
            value |= (digit & 0x7F) << 7 * size;
            size++;
        } while ((digit & 0x80) != 0);
        return new int[] {value, size};
    }

    /**
     * Decodes an MQTT 5.0 property list starting at {@code offset}: integers become {@code Long},
     * strings {@code String}, binary data {@code byte[]} and user properties {@code String[2]}.
     */
    private Map<Integer, List<Object>> properties(int offset) {
        Map<Integer, List<Object>> properties = new LinkedHashMap<>();
        if (body.length <= offset) {
            return properties;
        }
        int[] lengthAndSize = readVarInt(offset);
        int position = offset + lengthAndSize[1];
        int end = position + lengthAndSize[0];
        while (position < end) {
            int id = body[position++] & 0xFF;
            Object value;
            switch (id) {
                case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A -> {
                    value = (long) (body[position] & 0xFF);
                    position += 1;
                }
                case 0x13, 0x21, 0x22, 0x23 -> {
                    value = (long) ((body[position] & 0xFF) << 8 | body[position + 1] & 0xFF);
                    position += 2;
                }
                case 0x02, 0x11, 0x18, 0x27 -> {
                    value = ((long) (body[position] & 0xFF) << 24 | (body[position + 1] & 0xFF) << 16
                            | (body[position + 2] & 0xFF) << 8 | body[position + 3] & 0xFF);
                    position += 4;
                }
                case 0x0B -> {
                    int[] varInt = readVarInt(position);
                    value = (long) varInt[0];
                    position += varInt[1];
                }
                case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F -> {
                    int length = (body[position] & 0xFF) << 8 | body[position + 1] & 0xFF;
                    value = new String(body, position + 2, length, StandardCharsets.UTF_8);
                    position += 2 + length;
                }
                case 0x09, 0x16 -> {
                    int length = (body[position] & 0xFF) << 8 | body[position + 1] & 0xFF;
                    value = Arrays.copyOfRange(body, position + 2, position + 2 + length);
                    position += 2 + length;
                }
                case 0x26 -> {
                    int nameLength = (body[position] & 0xFF) << 8 | body[position + 1] & 0xFF;
                    String name = new String(body, position + 2, nameLength, StandardCharsets.UTF_8);
                    position += 2 + nameLength;
                    int valueLength = (body[position] & 0xFF) << 8 | body[position + 1] & 0xFF;
                    String text = new String(body, position + 2, valueLength, StandardCharsets.UTF_8);
                    position += 2 + valueLength;
                    value = new String[] {name, text};
                }
                default -> throw new IllegalStateException("unknown MQTT 5.0 property identifier 0x"
                        + Integer.toHexString(id) + " in " + this);
            }
            properties.computeIfAbsent(id, key -> new ArrayList<>()).add(value);
        }
        return properties;
    }
}
