package io.petrel.persistence.chronicle;

import io.petrel.api.DeadLetter;
import io.petrel.api.Message;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The letters of a {@link ChronicleDeadLetterStore} in memory: for each letter what queries match on,
 * the size of its record and where the record is in the journal, in append order, by id and by last
 * failure. No payload is kept once the record is written.
 *
 * <p>Not thread-safe: the store guards it with its monitor. An entry's journal index and pending
 * letter may be read without the monitor.
 */
final class DeadLetterIndex {

    /** A stored letter: what queries match on, and where its record is. */
    static final class Entry {

        private final long sequence;
        private final DeadLetter summary;
        private final int recordBytes;
        // -1 until the writer thread wrote the record; until then `pending` has the whole letter.
        private volatile long journalIndex;
        private volatile DeadLetter pending;

        private Entry(long sequence, DeadLetter summary, int recordBytes, long journalIndex, DeadLetter pending) {
            this.sequence = sequence;
            this.summary = summary;
            this.recordBytes = recordBytes;
            this.journalIndex = journalIndex;
            this.pending = pending;
        }

        long sequence() {
            return sequence;
        }

        /** Returns the letter with its message reduced to topic, QoS and retain flag. */
        DeadLetter summary() {
            return summary;
        }

        String id() {
            return summary.id();
        }

        int recordBytes() {
            return recordBytes;
        }

        /** Returns the journal index of the record, or -1 while it is not written yet. */
        long journalIndex() {
            return journalIndex;
        }

        /** Returns the whole letter while its record is not written yet, else null. */
        DeadLetter pending() {
            return pending;
        }

        boolean written() {
            return journalIndex >= 0;
        }

        /** Records where the record was written, or moved by compaction. */
        void writtenAt(long index) {
            // Set before pending is cleared, so a reader that finds no pending letter finds the index.
            journalIndex = index;
            pending = null;
        }
    }

    private static final Comparator<Entry> BY_LAST_FAILURE = Comparator
            .comparing((Entry entry) -> entry.summary.lastFailure())
            .thenComparingLong(Entry::sequence);

    private final TreeMap<Long, Entry> bySequence = new TreeMap<>();
    private final Map<String, Entry> byId = new HashMap<>();
    private final TreeSet<Entry> byLastFailure = new TreeSet<>(BY_LAST_FAILURE);
    private long totalBytes;
    private long nextSequence;

    /**
     * Adds a letter, replacing a stored letter with the same id.
     *
     * @param journalIndex where its record is, or -1 with {@code pending} the whole letter
     */
    Entry add(DeadLetter letter, int recordBytes, long journalIndex, DeadLetter pending) {
        Entry previous = byId.get(letter.id());
        if (previous != null) {
            remove(previous);
        }
        Entry entry = new Entry(nextSequence++, summaryOf(letter), recordBytes, journalIndex, pending);
        bySequence.put(entry.sequence, entry);
        byId.put(letter.id(), entry);
        byLastFailure.add(entry);
        totalBytes += recordBytes;
        return entry;
    }

    /** Returns the entry of the letter with this id, or null. */
    Entry get(String id) {
        return byId.get(id);
    }

    /** Removes the entry of the letter with this id and returns it, or null if none was stored. */
    Entry remove(String id) {
        Entry entry = byId.get(id);
        if (entry != null) {
            remove(entry);
        }
        return entry;
    }

    /** Removes {@code entry} if it is still stored; returns false if it was not. */
    boolean remove(Entry entry) {
        if (byId.get(entry.id()) != entry) {
            return false;
        }
        byId.remove(entry.id());
        bySequence.remove(entry.sequence);
        byLastFailure.remove(entry);
        totalBytes -= entry.recordBytes;
        return true;
    }

    int size() {
        return bySequence.size();
    }

    /** Returns the total size of the stored letters' records, in bytes. */
    long totalBytes() {
        return totalBytes;
    }

    /** Returns the entries in append order. */
    Collection<Entry> entries() {
        return bySequence.values();
    }

    /** Returns the entries appended after the letter with sequence number {@code sequence}, in append order. */
    NavigableMap<Long, Entry> after(long sequence) {
        return bySequence.tailMap(sequence, false);
    }

    /** Removes and returns the written entries whose last failure is before {@code cutoff}. */
    List<Entry> removeFailedBefore(Instant cutoff) {
        List<Entry> removed = new ArrayList<>();
        Iterator<Entry> entries = byLastFailure.iterator();
        while (entries.hasNext()) {
            Entry entry = entries.next();
            if (!entry.summary.lastFailure().isBefore(cutoff)) {
                break;
            }
            if (entry.written()) {
                removed.add(entry);
            }
        }
        removed.forEach(this::remove);
        return removed;
    }

    /**
     * Removes written entries, oldest first, until the stored letters' records take at most
     * {@code maxBytes} bytes or only unwritten ones are left, and returns them.
     */
    List<Entry> removeOldestBeyond(long maxBytes) {
        List<Entry> removed = new ArrayList<>();
        long remaining = totalBytes;
        for (Entry entry : bySequence.values()) {
            if (remaining <= maxBytes) {
                break;
            }
            if (entry.written()) {
                removed.add(entry);
                remaining -= entry.recordBytes;
            }
        }
        removed.forEach(this::remove);
        return removed;
    }

    /** Returns the letter with its message reduced to what queries match on: topic, QoS and retain flag. */
    private static DeadLetter summaryOf(DeadLetter letter) {
        Message message = letter.message();
        Message reduced = Message.builder(message.topic()).qos(message.qos()).retain(message.retain()).build();
        return new DeadLetter(letter.id(), letter.subscriptionFilter(), reduced, letter.reason(), letter.attempts(),
                letter.firstFailure(), letter.lastFailure(), letter.exceptionClass(), letter.exceptionMessage());
    }
}
