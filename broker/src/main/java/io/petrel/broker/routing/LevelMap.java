package io.petrel.broker.routing;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.BiConsumer;

/**
 * The children of one topic-trie node, keyed by level text. Readers look a level up by a region of
 * the topic string, so matching a topic allocates no substring per level.
 *
 * <p>Layout: an open-addressed table with linear probing. A level of up to 7 Latin-1 characters is
 * packed with its length into one {@code long} key, so looking it up compares numbers and never loads
 * the key string. A longer level is keyed by a flag and its 32-bit hash and then compared with the
 * stored string. The child and its level string sit next to each other in one array.
 *
 * <p>Threads: one writer at a time, while any number of readers call {@link #get} and
 * {@link #forEach} without a lock and never block. The owner serializes the writes (both tries do so
 * with their write lock) and publishes the map that {@link #put} or {@link #remove} returns with a
 * volatile write. Within one map a slot goes from empty to filled once and from filled to tombstone
 * once, and its child and level never change: the writer stores them before it stores the key with
 * release semantics, and readers load the key with acquire semantics. When the table must grow or
 * shrink, the writer builds a new map and leaves the old one unchanged, so a reader still holding the
 * old map sees a consistent older state. At least half of the slots stay empty, so every probe ends.
 * A reader therefore sees each child present or absent, never half written. A {@link #forEach} that
 * overlaps writes may see some of them and not others.
 *
 * @param <N> the node type
 */
public final class LevelMap<N> {

    private static final VarHandle KEY = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int MIN_CAPACITY = 4;
    private static final int MAX_PACKED_LENGTH = 7;
    private static final long EMPTY = 0L;
    private static final long TOMBSTONE = -1L;
    /** Marks a key made from the hash of a level that cannot be packed; such keys are negative. */
    private static final long HASHED = Long.MIN_VALUE;

    /** Packed or hashed key per slot: {@link #EMPTY}, {@link #TOMBSTONE} or a live key. */
    private final long[] keys;
    /** Child at {@code 2 * slot}, its level string at {@code 2 * slot + 1}. */
    private final Object[] entries;
    private final int mask;
    /** Live entries. Read and written by the writer only. */
    private int size;
    /** Slots that are not empty: live entries plus tombstones. Read and written by the writer only. */
    private int usedSlots;

    private LevelMap(int capacity) {
        keys = new long[capacity];
        entries = new Object[2 * capacity];
        mask = capacity - 1;
    }

    /** Creates a map with one child. */
    public static <N> LevelMap<N> of(String level, N child) {
        LevelMap<N> map = new LevelMap<>(MIN_CAPACITY);
        map.insert(key(level, 0, level.length()), level, child);
        return map;
    }

    /** Returns the child for the level {@code text[from, to)}, or {@code null}. Lock-free. */
    @SuppressWarnings("unchecked")
    public N get(String text, int from, int to) {
        long key = key(text, from, to);
        long[] keys = this.keys;
        int mask = this.mask;
        for (int slot = index(key, mask); ; slot = (slot + 1) & mask) {
            long slotKey = (long) KEY.getAcquire(keys, slot);
            if (slotKey == EMPTY) {
                return null;
            }
            if (slotKey == key && (key > 0 || matchesLevel(slot, text, from, to))) {
                return (N) entries[2 * slot];
            }
        }
    }

    /** Returns the child for {@code level}, or {@code null}. Lock-free. */
    public N get(String level) {
        return get(level, 0, level.length());
    }

    /** Visits every child with its level. Lock-free; see the class comment for concurrent writes. */
    @SuppressWarnings("unchecked")
    public void forEach(BiConsumer<? super String, ? super N> visitor) {
        for (int slot = 0; slot < keys.length; slot++) {
            long slotKey = (long) KEY.getAcquire(keys, slot);
            if (slotKey != EMPTY && slotKey != TOMBSTONE) {
                visitor.accept((String) entries[2 * slot + 1], (N) entries[2 * slot]);
            }
        }
    }

    /** Returns the number of children. Exact for the writer, a recent value for other threads. */
    public int size() {
        return size;
    }

    /**
     * Adds or replaces the child for {@code level}. Writer only.
     *
     * @return the map to publish in place of this one: this map, or a larger copy
     */
    public LevelMap<N> put(String level, N child) {
        long key = key(level, 0, level.length());
        int existing = find(key, level);
        LevelMap<N> target = this;
        if ((usedSlots + 1) * 2 > keys.length) {
            target = copy(size + 1);
            existing = target.find(key, level);
        }
        // A replacement goes in before the old slot becomes a tombstone, so readers always find one.
        target.insert(key, level, child);
        if (existing >= 0) {
            target.tombstone(existing);
        }
        return target;
    }

    /**
     * Removes the child for {@code level}, if any. Writer only.
     *
     * @return the map to publish in place of this one: this map, a smaller copy, or {@code null} when
     *         no child is left
     */
    public LevelMap<N> remove(String level) {
        int existing = find(key(level, 0, level.length()), level);
        if (existing < 0) {
            return this;
        }
        tombstone(existing);
        if (size == 0) {
            return null;
        }
        if (keys.length > MIN_CAPACITY && size * 8 < keys.length) {
            return copy(size); // shrink, so that churn does not leave large sparse tables behind
        }
        return this;
    }

    private void insert(long key, String level, N child) {
        int slot = index(key, mask);
        while (keys[slot] != EMPTY) {
            slot = (slot + 1) & mask; // tombstones are not reused, so a slot's child never changes
        }
        entries[2 * slot] = child;
        entries[2 * slot + 1] = level;
        KEY.setRelease(keys, slot, key); // publishes the child and level stored above
        size++;
        usedSlots++;
    }

    private void tombstone(int slot) {
        KEY.setRelease(keys, slot, TOMBSTONE);
        size--;
    }

    /** Returns the slot of {@code level}, or -1. Writer only, so plain reads are enough. */
    private int find(long key, String level) {
        for (int slot = index(key, mask); ; slot = (slot + 1) & mask) {
            long slotKey = keys[slot];
            if (slotKey == EMPTY) {
                return -1;
            }
            if (slotKey == key && (key > 0 || level.equals(entries[2 * slot + 1]))) {
                return slot;
            }
        }
    }

    /** Returns a new map with the live entries of this one and room for {@code liveEntries}. */
    @SuppressWarnings("unchecked")
    private LevelMap<N> copy(int liveEntries) {
        int capacity = MIN_CAPACITY;
        while (capacity < liveEntries * 4) {
            capacity <<= 1;
        }
        LevelMap<N> copy = new LevelMap<>(capacity);
        for (int slot = 0; slot < keys.length; slot++) {
            long slotKey = keys[slot];
            if (slotKey != EMPTY && slotKey != TOMBSTONE) {
                copy.insert(slotKey, (String) entries[2 * slot + 1], (N) entries[2 * slot]);
            }
        }
        return copy;
    }

    private boolean matchesLevel(int slot, String text, int from, int to) {
        String level = (String) entries[2 * slot + 1];
        return level.length() == to - from && level.regionMatches(0, text, from, to - from);
    }

    /**
     * Returns the key of the level {@code text[from, to)}: up to 7 Latin-1 characters packed with their
     * length plus one in the top byte (always positive and never {@link #EMPTY}), otherwise
     * {@link #HASHED} combined with the level's 32-bit hash (always negative and never {@link #TOMBSTONE}).
     */
    private static long key(String text, int from, int to) {
        int length = to - from;
        if (length <= MAX_PACKED_LENGTH) {
            long packed = 0;
            for (int i = 0; i < length; i++) {
                char c = text.charAt(from + i);
                if (c > 0xFF) {
                    return hashedKey(text, from, to);
                }
                packed |= (long) c << (8 * i);
            }
            return packed | ((long) (length + 1) << 56);
        }
        return hashedKey(text, from, to);
    }

    private static long hashedKey(String text, int from, int to) {
        int hash = 0;
        for (int i = from; i < to; i++) {
            hash = 31 * hash + text.charAt(i);
        }
        return HASHED | (hash & 0xFFFF_FFFFL);
    }

    private static int index(long key, int mask) {
        return (int) ((key * 0x9E37_79B9_7F4A_7C15L) >>> 32) & mask;
    }
}
