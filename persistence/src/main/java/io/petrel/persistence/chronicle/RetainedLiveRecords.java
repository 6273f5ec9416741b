package io.petrel.persistence.chronicle;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The live records of the retained journal: for each retained topic, the journal index of the set
 * record that retained its message. Clear records and replaced set records are dead.
 *
 * <p>Threads: not thread-safe, see {@link LiveRecords}.
 */
final class RetainedLiveRecords implements LiveRecords {

    private Map<String, Long> indexByTopic = new HashMap<>();

    /** Sizes the map for every record being live, if nothing is tracked yet. */
    @Override
    public void reserve(long records) {
        if (indexByTopic.isEmpty()) {
            long capacity = Math.min(records, Integer.MAX_VALUE / 2) * 4 / 3 + 1;
            indexByTopic = new HashMap<>((int) capacity);
        }
    }

    @Override
    public void track(byte[] record, long index) {
        String topic = ChronicleRetainedStore.topicOf(record);
        if (ChronicleRetainedStore.isClear(record)) {
            indexByTopic.remove(topic);
        } else {
            indexByTopic.put(topic, index);
        }
    }

    @Override
    public long count() {
        return indexByTopic.size();
    }

    /** Returns the indices in journal order. */
    @Override
    public long[] copyOrder() {
        long[] indices = indexByTopic.values().stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(indices);
        return indices;
    }
}
