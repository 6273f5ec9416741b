package io.petrel.broker.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Encodes MQTT control packets byte by byte, so that tests can send exactly what a client library
 * would never produce: wrong flags, bad lengths, invalid strings, packets out of order.
 *
 * <p>Methods that take a {@code protocolLevel} write the MQTT 5.0 layout (with an empty property
 * list) for level {@value #MQTT_5} and the MQTT 3.1.1 layout otherwise.
 */
public final class MqttPackets {

    /** Protocol level of MQTT 3.1 (protocol name {@code MQIsdp}). */
    public static final int MQTT_3_1 = 3;
    /** Protocol level of MQTT 3.1.1. */
    public static final int MQTT_3_1_1 = 4;
    /** Protocol level of MQTT 5.0. */
    public static final int MQTT_5 = 5;

    public static final int CONNECT = 1;
    public static final int CONNACK = 2;
    public static final int PUBLISH = 3;
    public static final int PUBACK = 4;
    public static final int PUBREC = 5;
    public static final int PUBREL = 6;
    public static final int PUBCOMP = 7;
    public static final int SUBSCRIBE = 8;
    public static final int SUBACK = 9;
    public static final int UNSUBSCRIBE = 10;
    public static final int UNSUBACK = 11;
    public static final int PINGREQ = 12;
    public static final int PINGRESP = 13;
    public static final int DISCONNECT = 14;

    private MqttPackets() {
    }

    /** Frames {@code body} behind a fixed header made of {@code firstByte} and the remaining length. */
    public static byte[] packet(int firstByte, byte[] body) {
        Writer writer = new Writer();
        writer.u8(firstByte);
        writer.varInt(body.length);
        writer.bytes(body);
        return writer.toBytes();
    }

    /** Encodes a PUBLISH with a UTF-8 topic and text payload; {@code packetId} is ignored at QoS 0. */
    public static byte[] publish(int protocolLevel, String topic, String payload, int qos, int packetId,
            boolean dup, boolean retain) {
        return publish(protocolLevel, topic.getBytes(StandardCharsets.UTF_8),
                payload.getBytes(StandardCharsets.UTF_8), qos, packetId, dup, retain);
    }

    /** Encodes a non-retained PUBLISH without the DUP flag. */
    public static byte[] publish(int protocolLevel, String topic, String payload, int qos, int packetId) {
        return publish(protocolLevel, topic, payload, qos, packetId, false, false);
    }

    /**
     * Encodes a PUBLISH whose topic is given as raw bytes, which may be invalid UTF-8.
     * {@code packetId} is ignored at QoS 0.
     */
    public static byte[] publish(int protocolLevel, byte[] topic, byte[] payload, int qos, int packetId,
            boolean dup, boolean retain) {
        Writer body = new Writer();
        body.lengthPrefixed(topic);
        if (qos > 0) {
            body.u16(packetId);
        }
        if (protocolLevel == MQTT_5) {
            body.varInt(0);
        }
        body.bytes(payload);
        int firstByte = PUBLISH << 4 | (dup ? 0x08 : 0) | qos << 1 | (retain ? 0x01 : 0);
        return packet(firstByte, body.toBytes());
    }

    /** Encodes a SUBSCRIBE that requests {@code qos} for each filter. */
    public static byte[] subscribe(int protocolLevel, int packetId, int qos, String... filters) {
        Writer body = new Writer();
        body.u16(packetId);
        if (protocolLevel == MQTT_5) {
            body.varInt(0);
        }
        for (String filter : filters) {
            body.utf8(filter);
            body.u8(qos);
        }
        return packet(SUBSCRIBE << 4 | 0x02, body.toBytes());
    }

    /** Encodes an UNSUBSCRIBE for the filters. */
    public static byte[] unsubscribe(int protocolLevel, int packetId, String... filters) {
        Writer body = new Writer();
        body.u16(packetId);
        if (protocolLevel == MQTT_5) {
            body.varInt(0);
        }
        for (String filter : filters) {
            body.utf8(filter);
        }
        return packet(UNSUBSCRIBE << 4 | 0x02, body.toBytes());
    }

    /** Encodes a PUBACK in the two-byte form that MQTT 3.1.1 and 5.0 (reason 0x00) share. */
    public static byte[] puback(int packetId) {
        return packetIdOnly(PUBACK << 4, packetId);
    }

    /** Encodes a PUBREC in the two-byte form. */
    public static byte[] pubrec(int packetId) {
        return packetIdOnly(PUBREC << 4, packetId);
    }

    /** Encodes a PUBREL with its required flags 0010. */
    public static byte[] pubrel(int packetId) {
        return packetIdOnly(PUBREL << 4 | 0x02, packetId);
    }

    /** Encodes a PUBCOMP in the two-byte form. */
    public static byte[] pubcomp(int packetId) {
        return packetIdOnly(PUBCOMP << 4, packetId);
    }

    /** Encodes a PINGREQ. */
    public static byte[] pingreq() {
        return packet(PINGREQ << 4, new byte[0]);
    }

    /** Encodes a DISCONNECT without a body (MQTT 3.1.1, or MQTT 5.0 with reason 0x00). */
    public static byte[] disconnect() {
        return packet(DISCONNECT << 4, new byte[0]);
    }

    /** Encodes an MQTT 5.0 DISCONNECT with a reason code and an empty property list. */
    public static byte[] disconnect5(int reasonCode) {
        return packet(DISCONNECT << 4, new byte[] {(byte) reasonCode, 0});
    }

    /**
     * Returns {@code packet}, whose remaining length takes one byte, with that length encoded in two
     * bytes: the length with the continuation bit set, then 0. MQTT 5.0 forbids this longer form.
     */
    public static byte[] withOverlongLength(byte[] packet) {
        if (packet[1] < 0) {
            throw new IllegalArgumentException("remaining length takes more than one byte: " + (packet[1] & 0xFF));
        }
        byte[] overlong = new byte[packet.length + 1];
        overlong[0] = packet[0];
        overlong[1] = (byte) (packet[1] | 0x80);
        System.arraycopy(packet, 2, overlong, 3, packet.length - 2);
        return overlong;
    }

    /** Encodes a packet whose body is only a packet identifier, with any first byte. */
    public static byte[] packetIdOnly(int firstByte, int packetId) {
        return packet(firstByte, new byte[] {(byte) (packetId >> 8), (byte) packetId});
    }

    /** Builds packet bodies: big-endian integers, variable byte integers and length-prefixed strings. */
    public static final class Writer {

        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        /** Appends one byte. */
        public Writer u8(int value) {
            out.write(value);
            return this;
        }

        /** Appends a two-byte big-endian integer. */
        public Writer u16(int value) {
            out.write(value >> 8);
            out.write(value);
            return this;
        }

        /** Appends a four-byte big-endian integer. */
        public Writer u32(long value) {
            u16((int) (value >> 16) & 0xFFFF);
            return u16((int) value & 0xFFFF);
        }

        /** Appends a variable byte integer (seven bits per byte, high bit = continuation). */
        public Writer varInt(int value) {
            int remaining = value;
            do {
                int digit = remaining & 0x7F;
                remaining >>>= 7;
                out.write(remaining > 0 ? digit | 0x80 : digit);
            } while (remaining > 0);
            return this;
        }

        /** Appends a UTF-8 string with its two-byte length prefix. */
        public Writer utf8(String value) {
            return lengthPrefixed(value.getBytes(StandardCharsets.UTF_8));
        }

        /** Appends raw bytes with a two-byte length prefix. */
        public Writer lengthPrefixed(byte[] value) {
            u16(value.length);
            return bytes(value);
        }

        /** Appends raw bytes. */
        public Writer bytes(byte[] value) {
            out.write(value, 0, value.length);
            return this;
        }

        /** Returns the bytes written so far. */
        public byte[] toBytes() {
            return out.toByteArray();
        }
    }
}
