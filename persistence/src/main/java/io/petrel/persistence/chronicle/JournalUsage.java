package io.petrel.persistence.chronicle;

import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueStore;

import java.util.HashMap;
import java.util.Map;
import java.util.NavigableSet;

/**
 * Measures the bytes a Chronicle queue has written into its files: for each cycle file, the position
 * of its last excerpt, which covers Chronicle's header and index pages before it. The apparent length
 * of a {@code .cq4} file is no measure of its use, because Chronicle extends the file in whole
 * blocks (64 MiB by default) that stay sparse until written.
 *
 * <p>Not thread-safe: the writer thread of the queue owns it. It keeps the sizes of the cycles
 * before the last one, which no longer grow, and measures only the last cycle again.
 */
final class JournalUsage {

    private final Map<Long, Long> earlierCycleBytes = new HashMap<>();
    private ChronicleQueue measured;

    /** Returns the bytes written into the files of {@code queue}. */
    long measure(ChronicleQueue queue) {
        if (queue != measured) {
            earlierCycleBytes.clear();
            measured = queue;
        }
        SingleChronicleQueue single = (SingleChronicleQueue) queue;
        int first = single.firstCycle();
        int last = single.lastCycle();
        if (first > last) {
            return 0;
        }
        NavigableSet<Long> cycles = single.listCyclesBetween(first, last);
        earlierCycleBytes.keySet().retainAll(cycles);
        long total = 0;
        for (long cycle : cycles) {
            Long known = earlierCycleBytes.get(cycle);
            if (known != null && cycle != last) {
                total += known;
                continue;
            }
            long bytes = writtenBytes(single, (int) cycle);
            if (cycle != last) {
                earlierCycleBytes.put(cycle, bytes);
            }
            total += bytes;
        }
        return total;
    }

    private static long writtenBytes(SingleChronicleQueue queue, int cycle) {
        SingleChronicleQueueStore store = queue.storeForCycle(cycle, queue.epoch(), false, null);
        if (store == null) {
            return 0;
        }
        try {
            return Math.max(0, store.writePosition());
        } finally {
            queue.closeStore(store);
        }
    }
}
