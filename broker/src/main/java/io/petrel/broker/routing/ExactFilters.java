package io.petrel.broker.routing;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The subscribers of topic filters without wildcards, keyed by the whole filter, for
 * {@link SubscriptionTrie}. Each filter has one entry: an {@code Object[]} with the filter at index 0,
 * then each subscriber at an odd index and its value at the next even index. A lookup of a topic that
 * has subscribers loads the slot table and the entry. A lookup of a topic without subscribers usually
 * loads the slot table alone. A chained hash map also loads a node per entry, which is one more cache
 * miss per lookup.
 *
 * <p>Layout: an open-addressed table with linear probing. At most a quarter of the slots are used, so a
 * lookup of a topic without subscribers rarely meets another filter's entry. A table starts keyed by
 * {@link String#hashCode()}, which a topic string caches, with the slot taken from a seeded mix of it.
 * Filters with one {@code String.hashCode()} are easy to compute, so when a new filter's probe sequence
 * already contains {@value #SAME_HASH_LIMIT} filters with its {@code String.hashCode()}, the table switches
 * for good to the seeded {@link TopicHash} of the whole filter, which clients cannot aim at one probe
 * sequence. A seeded table has one unused slot more than a power of two, so readers learn its key from
 * its length.
 *
 * <p>Threads: one writer at a time (the trie's write lock), while any number of readers call
 * {@link #get} without a lock and never block. A slot goes from empty to an entry, may then be replaced
 * by newer entries of the same filter, becomes a tombstone when the filter loses its last subscriber,
 * and may later take the entry of a filter that was absent. Each of these is a release store that
 * readers load with acquire semantics. A filter's entry changes slots only by being removed, so a
 * reader finds every filter that has subscribers for the whole of its search. An entry is built
 * completely before it is stored. A large entry, one that grew past 32 subscribers and still has more
 * than 16, may then change in place, as {@link SubscriberArrays} describes. When the table must grow or
 * shrink, the writer copies the live entries into a new table and publishes it with a volatile write,
 * leaving the old one unchanged for readers still searching it. At least three quarters of the slots
 * stay empty, so every probe ends.
 */
final class ExactFilters {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final Object TOMBSTONE = new Object();
    private static final int MIN_CAPACITY = 16;
    /** Filters with one {@code String.hashCode()} in a probe sequence that make the table seeded. */
    private static final int SAME_HASH_LIMIT = 8;

    /** Per slot: {@code null}, an entry, or {@link #TOMBSTONE}. Replaced when the table is resized. */
    private volatile Object[] slots = new Object[MIN_CAPACITY];
    /** Filters with an entry. Written by the writer only. */
    private volatile int size;
    /** Slots that are not {@code null}: entries plus tombstones. Writer only. */
    private int usedSlots;

    /** Returns the entry of {@code filter}, or {@code null} if it has no subscriber. Lock-free. */
    Object[] get(String filter) {
        Object[] table = slots;
        int mask = mask(table);
        for (int slot = home(filter, table, mask); ; slot = (slot + 1) & mask) {
            Object found = SLOT.getAcquire(table, slot);
            if (found == null) {
                return null;
            }
            if (found != TOMBSTONE) {
                Object[] entry = (Object[]) found;
                String key = (String) entry[0];
                if (key == filter || key.equals(filter)) {
                    return entry;
                }
            }
        }
    }

    /**
     * Stores {@code entry}, whose index 0 contains its filter, in place of the filter's current entry,
     * if any. Writer only.
     */
    void put(Object[] entry) {
        String filter = (String) entry[0];
        Object[] table = slots;
        int existing = find(table, filter);
        if (existing >= 0) {
            SLOT.setRelease(table, existing, entry);
            return;
        }
        int free = -existing - 1;
        if (!isSeeded(table) && isCrowded(table, filter)) {
            insert(resize(size + 1, true), entry);
        } else if (table[free] == TOMBSTONE) {
            // Reusing the first tombstone keeps a filter that is subscribed and unsubscribed in turn from
            // lengthening its probe sequence by one slot each time.
            SLOT.setRelease(table, free, entry);
        } else if ((usedSlots + 1) * 4 > table.length) {
            insert(resize(size + 1, false), entry);
        } else {
            SLOT.setRelease(table, free, entry);
            usedSlots++;
        }
        size = size + 1;
    }

    /** Removes the entry of {@code filter}, if any. Writer only. */
    void remove(String filter) {
        Object[] table = slots;
        int existing = find(table, filter);
        if (existing < 0) {
            return;
        }
        SLOT.setRelease(table, existing, TOMBSTONE);
        size = size - 1;
        if (mask(table) + 1 > MIN_CAPACITY && size * 32 < table.length) {
            resize(size, false); // so that churn does not leave a large sparse table behind
        }
    }

    /** Returns the number of filters with an entry. */
    int size() {
        return size;
    }

    /**
     * Returns the maximum number of slots that a lookup of a stored filter probes, 1 when every filter
     * is in its home slot. For tests, from the writer thread.
     */
    int maxProbeLength() {
        Object[] table = slots;
        int mask = mask(table);
        int maxLength = 0;
        for (int slot = 0; slot <= mask; slot++) {
            if (table[slot] instanceof Object[] entry) {
                int home = home((String) entry[0], table, mask);
                maxLength = Math.max(maxLength, ((slot - home) & mask) + 1);
            }
        }
        return maxLength;
    }

    /**
     * Returns the slot of {@code filter}'s entry in {@code table}. Without one, returns
     * {@code -free - 1}, where {@code free} is the first tombstone or empty slot of the filter's probe
     * sequence. Writer only.
     */
    private static int find(Object[] table, String filter) {
        int mask = mask(table);
        int firstTombstone = -1;
        for (int slot = home(filter, table, mask); ; slot = (slot + 1) & mask) {
            Object found = table[slot];
            if (found == null) {
                return -(firstTombstone >= 0 ? firstTombstone : slot) - 1;
            }
            if (found == TOMBSTONE) {
                if (firstTombstone < 0) {
                    firstTombstone = slot;
                }
            } else if (((Object[]) found)[0].equals(filter)) {
                return slot;
            }
        }
    }

    /**
     * Returns true if the probe sequence of {@code filter}, which has no entry, already contains
     * {@value #SAME_HASH_LIMIT} filters with its {@code String.hashCode()}. Writer only.
     */
    private static boolean isCrowded(Object[] table, String filter) {
        int mask = mask(table);
        int hash = filter.hashCode();
        int sameHash = 0;
        for (int slot = home(filter, table, mask); table[slot] != null; slot = (slot + 1) & mask) {
            if (table[slot] != TOMBSTONE && ((Object[]) table[slot])[0].hashCode() == hash) {
                sameHash++;
                if (sameHash >= SAME_HASH_LIMIT) {
                    return true;
                }
            }
        }
        return false;
    }

    private void insert(Object[] table, Object[] entry) {
        int mask = mask(table);
        int slot = home((String) entry[0], table, mask);
        while (table[slot] != null) {
            slot = (slot + 1) & mask; // a new table has no tombstones
        }
        SLOT.setRelease(table, slot, entry);
        usedSlots++;
    }

    /**
     * Copies the live entries into a new table with room for {@code liveEntries}, publishes and returns
     * it. The new table is seeded if the current one is or if {@code seed} is true.
     */
    private Object[] resize(int liveEntries, boolean seed) {
        int capacity = MIN_CAPACITY;
        while (capacity < liveEntries * 6) {
            capacity <<= 1;
        }
        Object[] table = new Object[seed || isSeeded(slots) ? capacity + 1 : capacity];
        usedSlots = 0;
        for (Object found : slots) {
            if (found != null && found != TOMBSTONE) {
                insert(table, (Object[]) found);
            }
        }
        slots = table;
        return table;
    }

    /** Returns true if {@code table} is keyed by the seeded hash of the whole filter. */
    private static boolean isSeeded(Object[] table) {
        return (table.length & 1) != 0;
    }

    /** Returns the mask of the probe slots of {@code table}. A seeded table's last slot is unused. */
    private static int mask(Object[] table) {
        return (table.length & ~1) - 1;
    }

    /** Returns the slot where the probe for {@code filter} starts in {@code table}, of mask {@code mask}. */
    private static int home(String filter, Object[] table, int mask) {
        long hash = isSeeded(table) ? TopicHash.of(filter) : TopicHash.ofKey(filter.hashCode());
        return TopicHash.slot(hash, mask);
    }

    /** Returns true if this table is keyed by the seeded hash of the whole filter. For tests. */
    boolean isSeeded() {
        return isSeeded(slots);
    }
}
