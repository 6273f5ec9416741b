package io.petrel.persistence.chronicle;

import io.petrel.api.DeadLetter;

import java.time.Instant;

/**
 * Encodes and decodes the records of the dead-letter journal: a letter, or the removal of the letter
 * with a given id. Both start with the format version byte and a type byte; the layout is described
 * in {@code docs/persistence.md}.
 */
final class DeadLetterRecords {

    static final int FORMAT_VERSION = 1;
    static final int TYPE_LETTER = 1;
    static final int TYPE_REMOVE = 2;

    /** A decoded record: a letter, or the id of a removed letter with {@code letter} null. */
    record Decoded(String removedId, DeadLetter letter) {
    }

    private static final DeadLetter.Reason[] REASONS = {
        DeadLetter.Reason.ATTEMPTS_EXHAUSTED, DeadLetter.Reason.UNPROCESSABLE, DeadLetter.Reason.CIRCUIT_OPEN
    };

    private DeadLetterRecords() {
    }

    static byte[] letter(DeadLetter letter) {
        RecordWriter writer = new RecordWriter().writeByte(FORMAT_VERSION).writeByte(TYPE_LETTER)
                .writeString(letter.id())
                .writeString(letter.subscriptionFilter())
                .writeByte(reasonCode(letter.reason()))
                .writeInt(letter.attempts());
        writeInstant(writer, letter.firstFailure());
        writeInstant(writer, letter.lastFailure());
        return writer.writeString(letter.exceptionClass())
                .writeString(letter.exceptionMessage())
                .writeMessage(letter.message())
                .toByteArray();
    }

    static byte[] removal(String id) {
        return new RecordWriter().writeByte(FORMAT_VERSION).writeByte(TYPE_REMOVE).writeString(id).toByteArray();
    }

    /** The letter id of a record, and whether the record removes that letter. */
    record Key(String id, boolean removal) {
    }

    /**
     * Decodes the type and letter id of a record, without the rest of a letter.
     *
     * @throws RecordReader.CorruptRecordException if the record is damaged or of an unknown version or type
     */
    static Key keyOf(byte[] record) {
        RecordReader reader = new RecordReader(record);
        int version = reader.readByte();
        if (version != FORMAT_VERSION) {
            throw new RecordReader.CorruptRecordException("unknown format version " + version + ", expected "
                    + FORMAT_VERSION);
        }
        int type = reader.readByte();
        if (type != TYPE_REMOVE && type != TYPE_LETTER) {
            throw new RecordReader.CorruptRecordException("unknown record type " + type);
        }
        return new Key(reader.readString(), type == TYPE_REMOVE);
    }

    /**
     * Decodes a record.
     *
     * @throws RuntimeException if the record is damaged or of an unknown version or type
     */
    static Decoded decode(byte[] record) {
        RecordReader reader = new RecordReader(record);
        int version = reader.readByte();
        if (version != FORMAT_VERSION) {
            throw new RecordReader.CorruptRecordException("unknown format version " + version + ", expected "
                    + FORMAT_VERSION);
        }
        int type = reader.readByte();
        if (type == TYPE_REMOVE) {
            return new Decoded(reader.readString(), null);
        }
        if (type != TYPE_LETTER) {
            throw new RecordReader.CorruptRecordException("unknown record type " + type);
        }
        String id = reader.readString();
        String subscriptionFilter = reader.readString();
        int reasonCode = reader.readByte();
        if (reasonCode < 1 || reasonCode > REASONS.length) {
            throw new RecordReader.CorruptRecordException("unknown dead-letter reason code " + reasonCode);
        }
        int attempts = reader.readInt();
        Instant firstFailure = readInstant(reader);
        Instant lastFailure = readInstant(reader);
        String exceptionClass = reader.readString();
        String exceptionMessage = reader.readString();
        return new Decoded(null, new DeadLetter(id, subscriptionFilter, reader.readMessage(), REASONS[reasonCode - 1],
                attempts, firstFailure, lastFailure, exceptionClass, exceptionMessage));
    }

    private static int reasonCode(DeadLetter.Reason reason) {
        for (int i = 0; i < REASONS.length; i++) {
            if (REASONS[i] == reason) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("no record code for dead-letter reason " + reason);
    }

    private static void writeInstant(RecordWriter writer, Instant instant) {
        writer.writeLong(instant.getEpochSecond()).writeInt(instant.getNano());
    }

    private static Instant readInstant(RecordReader reader) {
        long seconds = reader.readLong();
        return Instant.ofEpochSecond(seconds, reader.readInt());
    }
}
