package io.petrel.persistence.chronicle;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * Reads the records of a Chronicle queue from the calling thread, with a tailer created and closed
 * per call. Reading stops at the first excerpt that cannot be read, such as the damaged tail of a
 * journal whose last file was cut short, and logs it: the records before it are still used.
 */
final class JournalReader {

    /** Receives each record with its journal index. */
    interface RecordVisitor {
        void accept(long index, byte[] record);
    }

    private static final Logger LOG = LoggerFactory.getLogger(JournalReader.class);

    private JournalReader() {
    }

    /** Visits every record from the start of {@code queue}; returns how many were visited. */
    static long readAll(ChronicleQueue queue, RecordVisitor visitor) {
        long count = 0;
        try (ExcerptTailer tailer = queue.createTailer()) {
            while (true) {
                long index;
                byte[] record;
                try (DocumentContext document = tailer.readingDocument()) {
                    if (!document.isPresent()) {
                        return count;
                    }
                    index = document.index();
                    record = toArray(document.wire().bytes());
                } catch (RuntimeException e) {
                    LOG.warn("Stopped reading the journal {} after {} records at a record that cannot be read; "
                            + "later records, if any, are ignored", queue.file(), count, e);
                    return count;
                }
                visitor.accept(index, record);
                count++;
            }
        }
    }

    /** Returns the record at {@code index}, or empty if there is none. */
    static Optional<byte[]> read(ChronicleQueue queue, long index) {
        try (ExcerptTailer tailer = queue.createTailer()) {
            return read(tailer, index);
        }
    }

    /** Moves {@code tailer} to {@code index} and returns the record there, or empty if there is none. */
    static Optional<byte[]> read(ExcerptTailer tailer, long index) {
        if (!tailer.moveToIndex(index)) {
            return Optional.empty();
        }
        return next(tailer);
    }

    /** Returns the next record of {@code tailer}, or empty at the end of the queue. */
    static Optional<byte[]> next(ExcerptTailer tailer) {
        try (DocumentContext document = tailer.readingDocument()) {
            return document.isPresent() ? Optional.of(toArray(document.wire().bytes())) : Optional.empty();
        }
    }

    private static byte[] toArray(Bytes<?> bytes) {
        byte[] record = new byte[(int) bytes.readRemaining()];
        bytes.read(record);
        return record;
    }
}
