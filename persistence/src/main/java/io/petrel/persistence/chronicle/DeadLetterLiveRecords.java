package io.petrel.persistence.chronicle;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The live records of the dead-letter journal: for each stored letter, the journal index of its
 * record. Removal records and the records of removed letters are dead.
 *
 * <p>Threads: not thread-safe, see {@link LiveRecords}.
 */
final class DeadLetterLiveRecords implements LiveRecords {

    private final Map<String, Long> indexById = new HashMap<>();

    @Override
    public void track(byte[] record, long index) {
        DeadLetterRecords.Key key = DeadLetterRecords.keyOf(record);
        if (key.removal()) {
            indexById.remove(key.id());
        } else {
            indexById.put(key.id(), index);
        }
    }

    @Override
    public long count() {
        return indexById.size();
    }

    /** Returns the indices in journal order, which keeps the letters in their append order. */
    @Override
    public long[] copyOrder() {
        long[] indices = indexById.values().stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(indices);
        return indices;
    }

    /** Returns the journal index of the record of the letter {@code id}, or -1 if it is not stored. */
    long indexOf(String id) {
        Long index = indexById.get(id);
        return index == null ? -1 : index;
    }
}
