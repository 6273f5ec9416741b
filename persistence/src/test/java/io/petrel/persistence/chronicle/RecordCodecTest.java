package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.Message;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RecordCodecTest {

    @Test
    void messageRoundTrips() {
        Message message = Message.builder("a/b").payload("text").retain(true).build();
        byte[] record = new RecordWriter().writeByte(1).writeMessage(message).toByteArray();

        RecordReader reader = new RecordReader(record);

        assertEquals(1, reader.readByte());
        Message read = reader.readMessage();
        assertEquals("a/b", read.topic());
        assertEquals("text", read.payloadAsString());
        assertTrue(read.retain(), "retain flag");
    }

    @Test
    void changedByteFailsChecksum() {
        byte[] record = new RecordWriter().writeByte(1).writeString("topic").toByteArray();
        for (int i = 0; i < record.length; i++) {
            byte[] damaged = record.clone();
            damaged[i] ^= 0x10;

            RecordReader.CorruptRecordException failure = assertThrows(RecordReader.CorruptRecordException.class,
                    () -> new RecordReader(damaged), "byte " + i + " changed");
            assertTrue(failure.getMessage().contains("checksum"), failure.getMessage());
        }
    }

    @Test
    void zeroedTailFailsChecksum() {
        byte[] record = new RecordWriter().writeByte(1).writeString("payload-99").toByteArray();
        Arrays.fill(record, record.length - 8, record.length, (byte) 0);

        assertThrows(RecordReader.CorruptRecordException.class, () -> new RecordReader(record));
    }
}
