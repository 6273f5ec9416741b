package io.petrel.persistence.chronicle;

import io.petrel.api.Message;
import io.petrel.api.Qos;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Decodes the fields that {@link RecordWriter} encoded. The checksum and every read's remaining
 * length are checked, so a truncated or damaged record raises {@link CorruptRecordException} instead
 * of returning wrong values or reading past its end.
 * Not thread-safe.
 */
final class RecordReader {

    /** A record that cannot be decoded. */
    static final class CorruptRecordException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        CorruptRecordException(String message) {
            super(message);
        }
    }

    private static final int CRC_BYTES = 4;

    private final ByteBuffer buffer;

    /**
     * Checks the CRC-32 at the end of {@code record} and prepares to read the fields before it.
     *
     * @throws CorruptRecordException if the record is too short or its checksum does not match
     */
    RecordReader(byte[] record) {
        if (record.length < CRC_BYTES) {
            throw new CorruptRecordException("record of " + record.length + " bytes is shorter than its checksum");
        }
        int length = record.length - CRC_BYTES;
        CRC32 crc = new CRC32();
        crc.update(record, 0, length);
        int stored = ByteBuffer.wrap(record, length, CRC_BYTES).getInt();
        if (stored != (int) crc.getValue()) {
            throw new CorruptRecordException("checksum mismatch in a record of " + record.length + " bytes");
        }
        this.buffer = ByteBuffer.wrap(record, 0, length);
    }

    int readByte() {
        try {
            return buffer.get() & 0xFF;
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    int readInt() {
        try {
            return buffer.getInt();
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    long readLong() {
        try {
            return buffer.getLong();
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    byte[] readBytes() {
        int length = readInt();
        if (length == -1) {
            return null;
        }
        if (length < 0 || length > buffer.remaining()) {
            throw new CorruptRecordException("invalid field length " + length + " with " + buffer.remaining()
                    + " bytes left in the record");
        }
        byte[] bytes = new byte[length];
        buffer.get(bytes);
        return bytes;
    }

    String readString() {
        byte[] bytes = readBytes();
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    /** Reads a message in the layout of {@link RecordWriter#writeMessage}. */
    Message readMessage() {
        String topic = readString();
        if (topic == null || topic.isEmpty()) {
            throw new CorruptRecordException("missing topic in a message record");
        }
        int qos = readByte();
        if (qos > 2) {
            throw new CorruptRecordException("invalid QoS " + qos + " in a message record");
        }
        int flags = readByte();

        Message.Builder builder = Message.builder(topic).qos(Qos.values()[qos])
                .retain((flags & 1) != 0).payloadUtf8((flags & 2) != 0);
        String contentType = readString();
        if (contentType != null) {
            builder.contentType(contentType);
        }
        String responseTopic = readString();
        if (responseTopic != null) {
            builder.responseTopic(responseTopic);
        }
        byte[] correlationData = readBytes();
        if (correlationData != null) {
            builder.correlationData(correlationData);
        }

        long expiry = readLong();
        if (expiry >= 0) {
            builder.messageExpiryIntervalSeconds(expiry);
        }

        int userProperties = readCount();
        for (int i = 0; i < userProperties; i++) {
            builder.userProperty(readString(), readString());
        }

        int identifierCount = readCount();
        if (identifierCount > 0) {
            List<Integer> identifiers = new ArrayList<>(identifierCount);
            for (int i = 0; i < identifierCount; i++) {
                identifiers.add(readInt());
            }
            builder.subscriptionIdentifiers(identifiers);
        }

        byte[] payload = readBytes();
        return builder.payload(payload == null ? new byte[0] : payload).build();
    }

    private int readCount() {
        int count = readInt();
        // Each element takes at least four bytes, so a larger count cannot be genuine.
        if (count < 0 || count > buffer.remaining() / 4) {
            throw new CorruptRecordException("invalid element count " + count + " in a message record");
        }
        return count;
    }

    private CorruptRecordException truncated() {
        return new CorruptRecordException("record ends early at byte " + buffer.position());
    }
}
