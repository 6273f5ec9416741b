package io.petrel.persistence.chronicle;

import io.petrel.api.Message;
import io.petrel.api.UserProperty;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Encodes the fields of one journal record in big-endian order, as {@code docs/persistence.md}
 * describes: strings and byte arrays as a four-byte length followed by the bytes (UTF-8 for
 * strings), with length -1 for an absent value, and a CRC-32 at the end. Not thread-safe.
 */
final class RecordWriter {

    /** A byte array stream whose CRC-32 can be computed without copying its bytes. */
    private static final class Buffer extends ByteArrayOutputStream {

        Buffer(int size) {
            super(size);
        }

        void updateChecksum(CRC32 crc) {
            crc.update(buf, 0, count);
        }
    }

    private final Buffer buffer = new Buffer(256);
    private final DataOutputStream out = new DataOutputStream(buffer);

    RecordWriter writeByte(int value) {
        try {
            out.writeByte(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    RecordWriter writeInt(int value) {
        try {
            out.writeInt(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    RecordWriter writeLong(long value) {
        try {
            out.writeLong(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    RecordWriter writeBytes(byte[] bytes) {
        if (bytes == null) {
            return writeInt(-1);
        }
        writeInt(bytes.length);
        buffer.write(bytes, 0, bytes.length);
        return this;
    }

    RecordWriter writeString(String text) {
        return writeBytes(text == null ? null : text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes a message: topic, QoS, flags (bit 0 retain, bit 1 payload is UTF-8), content type,
     * response topic, correlation data, expiry interval in seconds (-1 if none), user properties,
     * subscription identifiers and payload.
     */
    RecordWriter writeMessage(Message message) {
        writeString(message.topic());
        writeByte(message.qos().value());
        writeByte((message.retain() ? 1 : 0) | (message.payloadUtf8() ? 2 : 0));
        writeString(message.contentType().orElse(null));
        writeString(message.responseTopic().orElse(null));
        writeBytes(message.correlationData().map(RecordWriter::toArray).orElse(null));
        writeLong(message.messageExpiryIntervalSeconds().orElse(-1));
        writeInt(message.userProperties().size());
        for (UserProperty property : message.userProperties()) {
            writeString(property.name());
            writeString(property.value());
        }
        writeInt(message.subscriptionIdentifiers().size());
        for (int identifier : message.subscriptionIdentifiers()) {
            writeInt(identifier);
        }
        return writeBytes(message.payloadBytes());
    }

    /** Returns the encoded record followed by the CRC-32 of its bytes, 4 bytes big-endian. */
    byte[] toByteArray() {
        CRC32 crc = new CRC32();
        buffer.updateChecksum(crc);
        writeInt((int) crc.getValue());
        return buffer.toByteArray();
    }

    private static byte[] toArray(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
