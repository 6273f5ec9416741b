package io.petrel.broker.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Reads the MQTT data types (MQTT 5.0 section 1.5, the same in 3.1.1) from a buffer that holds
 * exactly one packet's remaining bytes, or one property block. A field that runs past the end of the
 * buffer or breaks its encoding rule makes the packet malformed.
 *
 * <p>Stateless; called on the event loop of the connection whose bytes are read.
 */
final class PacketFields {

    private PacketFields() {
    }

    static int readByte(ByteBuf in, String field) throws InvalidPacketException {
        require(in, 1, field);
        return in.readUnsignedByte();
    }

    static int readTwoByteInteger(ByteBuf in, String field) throws InvalidPacketException {
        require(in, 2, field);
        return in.readUnsignedShort();
    }

    static int readFourByteInteger(ByteBuf in, String field) throws InvalidPacketException {
        require(in, 4, field);
        return in.readInt();
    }

    /**
     * Reads a Variable Byte Integer: at most 4 bytes, 7 bits each, least significant first, in the
     * fewest bytes that hold the value [MQTT-1.5.5-1].
     */
    static int readVariableByteInteger(ByteBuf in, String field) throws InvalidPacketException {
        int value = 0;
        for (int i = 0; i < 4; i++) {
            require(in, 1, field);
            int encoded = in.readUnsignedByte();
            if (i > 0 && encoded == 0) {
                throw malformed(field + " is not encoded in the fewest bytes");
            }
            value |= (encoded & 0x7F) << (7 * i);
            if ((encoded & 0x80) == 0) {
                return value;
            }
        }
        throw malformed(field + " is longer than 4 bytes");
    }

    /** Reads a packet identifier, which must not be 0 [MQTT-2.3.1-1]. */
    static int readPacketId(ByteBuf in) throws InvalidPacketException {
        int packetId = readTwoByteInteger(in, "packet identifier");
        if (packetId == 0) {
            throw malformed("packet identifier 0 is invalid");
        }
        return packetId;
    }

    /** Reads Binary Data: a two-byte length, then that many bytes. */
    static byte[] readBinary(ByteBuf in, String field) throws InvalidPacketException {
        int length = readLength(in, field);
        require(in, length, field);
        byte[] bytes = new byte[length];
        in.readBytes(bytes);
        return bytes;
    }

    /**
     * Reads a UTF-8 Encoded String: a two-byte length, then well-formed UTF-8 [MQTT-1.5.4-1] without
     * U+0000 [MQTT-1.5.4-2]. Overlong forms, surrogate code points (U+D800 to U+DFFF) and values above
     * U+10FFFF are rejected.
     */
    static String readString(ByteBuf in, String field) throws InvalidPacketException {
        return readString(in, field, null);
    }

    /**
     * Reads a UTF-8 Encoded String like {@link #readString(ByteBuf, String)}, but returns
     * {@code candidate} itself when the string is ASCII and equal to it.
     *
     * @param candidate a string the field is likely to repeat, or null
     */
    static String readString(ByteBuf in, String field, String candidate) throws InvalidPacketException {
        int length = readLength(in, field);
        require(in, length, field);
        int start = in.readerIndex();
        int end = start + length;
        int index = start;
        while (index < end) {
            byte b = in.getByte(index);
            if (b <= 0) {
                break;
            }
            index++;
        }
        String value;
        if (index < end) {
            value = decodeUtf8(in, start, end, index, field);
        } else if (candidate != null && equalsAscii(in, start, length, candidate)) {
            value = candidate;
        } else {
            value = in.toString(start, length, StandardCharsets.US_ASCII);
        }
        in.readerIndex(end);
        return value;
    }

    /** Returns true if the {@code length} bytes of {@code in} from {@code start} are the ASCII string {@code candidate}. */
    static boolean equalsAscii(ByteBuf in, int start, int length, String candidate) {
        if (candidate.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (in.getByte(start + i) != candidate.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Decodes bytes from {@code start} to {@code end}, of which those before {@code firstNonAscii} are ASCII. */
    private static String decodeUtf8(ByteBuf in, int start, int end, int firstNonAscii, String field)
            throws InvalidPacketException {
        char[] chars = new char[end - start];
        int count = 0;
        for (int i = start; i < firstNonAscii; i++) {
            chars[count++] = (char) in.getByte(i);
        }
        int index = firstNonAscii;
        while (index < end) {
            int lead = in.getByte(index) & 0xFF;
            if (lead == 0) {
                throw malformed(field + " contains U+0000");
            }
            if (lead < 0x80) {
                chars[count++] = (char) lead;
                index++;
                continue;
            }
            int continuationBytes;
            int codePoint;
            int minimum;
            if (lead >= 0xC2 && lead <= 0xDF) {
                continuationBytes = 1;
                codePoint = lead & 0x1F;
                minimum = 0x80;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                continuationBytes = 2;
                codePoint = lead & 0x0F;
                minimum = 0x800;
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                continuationBytes = 3;
                codePoint = lead & 0x07;
                minimum = 0x10000;
            } else {
                throw malformed(field + " is not valid UTF-8");
            }
            if (index + continuationBytes >= end) {
                throw malformed(field + " ends inside a UTF-8 sequence");
            }
            for (int k = 1; k <= continuationBytes; k++) {
                int next = in.getByte(index + k) & 0xFF;
                if ((next & 0xC0) != 0x80) {
                    throw malformed(field + " is not valid UTF-8");
                }
                codePoint = (codePoint << 6) | (next & 0x3F);
            }
            if (codePoint < minimum || codePoint > Character.MAX_CODE_POINT
                    || (codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE)) {
                throw malformed(field + " is not valid UTF-8");
            }
            count += Character.toChars(codePoint, chars, count);
            index += continuationBytes + 1;
        }
        return new String(chars, 0, count);
    }

    /**
     * Reads the two-byte length of a string or binary field. The field's name is joined with
     * " length" only for the error, so a valid field allocates no message.
     */
    private static int readLength(ByteBuf in, String field) throws InvalidPacketException {
        if (in.readableBytes() < 2) {
            throw malformed(field + " length runs past the end of the packet");
        }
        return in.readUnsignedShort();
    }

    /** Fails unless {@code in} has {@code length} more bytes. */
    static void require(ByteBuf in, int length, String field) throws InvalidPacketException {
        if (in.readableBytes() < length) {
            throw malformed(field + " runs past the end of the packet");
        }
    }

    static InvalidPacketException malformed(String message) {
        return new InvalidPacketException(ProtocolViolation.MALFORMED_PACKET, message);
    }

    static InvalidPacketException protocolError(String message) {
        return new InvalidPacketException(ProtocolViolation.PROTOCOL_ERROR, message);
    }
}
