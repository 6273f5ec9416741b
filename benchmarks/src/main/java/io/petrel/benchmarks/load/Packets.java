package io.petrel.benchmarks.load;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Encoders of the MQTT 3.1.1 packets the load driver sends. Stateless; each method appends one
 * complete packet to {@code out}, so a caller can batch several packets into one buffer and one write.
 */
final class Packets {

    static final int CONNECT = 1;
    static final int CONNACK = 2;
    static final int PUBLISH = 3;
    static final int PUBACK = 4;
    static final int SUBSCRIBE = 8;
    static final int SUBACK = 9;
    static final int PINGREQ = 12;
    static final int PINGRESP = 13;
    static final int DISCONNECT = 14;

    private static final byte[] PROTOCOL_NAME = "MQTT".getBytes(StandardCharsets.US_ASCII);
    private static final int PROTOCOL_LEVEL_3_1_1 = 4;
    private static final int CLEAN_SESSION = 0x02;
    private static final int PASSWORD_FLAG = 0x40;
    private static final int USER_NAME_FLAG = 0x80;

    private Packets() {
    }

    /**
     * Appends a CONNECT without will, with the user name and password of {@code credentials} if set;
     * {@code cleanSession} false makes the broker keep the session, with its subscriptions and queued
     * messages, after the connection closes.
     */
    static void connect(ByteBuf out, String clientId, int keepAliveSeconds, boolean cleanSession,
                        Credentials credentials) {
        byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
        byte[] username = credentials.username() != null
                ? credentials.username().getBytes(StandardCharsets.UTF_8) : null;
        byte[] password = credentials.password();
        int remaining = 2 + PROTOCOL_NAME.length + 1 + 1 + 2 + 2 + id.length
                + (username != null ? 2 + username.length : 0) + (password != null ? 2 + password.length : 0);
        int flags = (cleanSession ? CLEAN_SESSION : 0) | (username != null ? USER_NAME_FLAG : 0)
                | (password != null ? PASSWORD_FLAG : 0);
        out.writeByte(CONNECT << 4);
        writeRemainingLength(out, remaining);
        out.writeShort(PROTOCOL_NAME.length).writeBytes(PROTOCOL_NAME);
        out.writeByte(PROTOCOL_LEVEL_3_1_1);
        out.writeByte(flags);
        out.writeShort(keepAliveSeconds);
        out.writeShort(id.length).writeBytes(id);
        if (username != null) {
            out.writeShort(username.length).writeBytes(username);
        }
        if (password != null) {
            out.writeShort(password.length).writeBytes(password);
        }
    }

    /** Appends a SUBSCRIBE to one filter. */
    static void subscribe(ByteBuf out, int packetId, String filter, int qos) {
        byte[] encodedFilter = filter.getBytes(StandardCharsets.UTF_8);
        out.writeByte(SUBSCRIBE << 4 | 0x02); // [MQTT-3.8.1-1]: SUBSCRIBE flags are 0010
        writeRemainingLength(out, 2 + 2 + encodedFilter.length + 1);
        out.writeShort(packetId);
        out.writeShort(encodedFilter.length).writeBytes(encodedFilter);
        out.writeByte(qos);
    }

    /** Returns the size of a PUBLISH from {@link #publishHeader} plus its payload. */
    static int publishSize(byte[] topic, int qos, int payloadBytes) {
        int remaining = publishRemainingLength(topic, qos, payloadBytes);
        return 1 + remainingLengthBytes(remaining) + remaining;
    }

    /** Appends the fixed and variable header of a PUBLISH; the caller appends {@code payloadBytes} bytes. */
    static void publishHeader(ByteBuf out, byte[] topic, int qos, boolean retain, int packetId, int payloadBytes) {
        out.writeByte(PUBLISH << 4 | qos << 1 | (retain ? 1 : 0));
        writeRemainingLength(out, publishRemainingLength(topic, qos, payloadBytes));
        out.writeShort(topic.length).writeBytes(topic);
        if (qos > 0) {
            out.writeShort(packetId);
        }
    }

    /** Appends a PUBACK. */
    static void pubAck(ByteBuf out, int packetId) {
        out.writeByte(PUBACK << 4).writeByte(2).writeShort(packetId);
    }

    /** Appends a PINGREQ. */
    static void pingReq(ByteBuf out) {
        out.writeByte(PINGREQ << 4).writeByte(0);
    }

    /** Appends a DISCONNECT. */
    static void disconnect(ByteBuf out) {
        out.writeByte(DISCONNECT << 4).writeByte(0);
    }

    private static int publishRemainingLength(byte[] topic, int qos, int payloadBytes) {
        return 2 + topic.length + (qos > 0 ? 2 : 0) + payloadBytes;
    }

    private static int remainingLengthBytes(int value) {
        if (value < 128) {
            return 1;
        }
        if (value < 16_384) {
            return 2;
        }
        return value < 2_097_152 ? 3 : 4;
    }

    private static void writeRemainingLength(ByteBuf out, int value) {
        int rest = value;
        do {
            int digit = rest & 0x7F;
            rest >>>= 7;
            out.writeByte(rest > 0 ? digit | 0x80 : digit);
        } while (rest > 0);
    }
}
