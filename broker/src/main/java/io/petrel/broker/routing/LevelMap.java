package io.petrel.broker.routing;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.BiConsumer;

/**
 * The children of one topic-trie node, keyed by level text. Readers look a level up by a region of
 * the topic string, so matching a topic allocates no substring per level.
 *
 * <p>Threads: one writer at a time. The owner serializes {@link #put} and {@link #remove} (the
 * tries hold their write lock), while any number of readers call {@link #get} and {@link #forEach}
 * without a lock and never block. The table is open-addressed with linear probing. A writer fills
 * an empty slot with a fully built entry using a release store, and marks a removed entry's slot
 * with a tombstone instead of clearing it, so a concurrent probe never stops early. Growing or
 * shrinking builds a new table and publishes it with one volatile write, and the old table is not
 * changed after that, so a reader that still holds it sees a consistent older state. The writer
 * keeps at least half of the slots {@code null}, so every probe ends.
 *
 * <p>A reader sees each child either present or absent, never a partial entry, but a walk with
 * {@link #forEach} that overlaps writes may see some of them and not others.
 *
 * @param <N> the node type
 */
public final class LevelMap<N> {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final Object TOMBSTONE = new Object();
    private static final int MIN_CAPACITY = 4;

    private volatile Object[] slots = new Object[MIN_CAPACITY];

    /** Live entries. Written by the writer only. */
    private int size;
    /** Live entries plus tombstones, that is slots that are not {@code null}. Written by the writer only. */
    private int usedSlots;

    /** Returns the child for the level {@code text[from, to)}, or {@code null}. Lock-free. */
    @SuppressWarnings("unchecked")
    public N get(String text, int from, int to) {
        int hash = hash(text, from, to);
        int length = to - from;
        Object[] table = slots;
        int mask = table.length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask) {
            Object slot = SLOT.getAcquire(table, i);
            if (slot == null) {
                return null;
            }
            if (slot != TOMBSTONE) {
                Entry<N> entry = (Entry<N>) slot;
                if (entry.hash == hash && entry.key.length() == length
                        && entry.key.regionMatches(0, text, from, length)) {
                    return entry.node;
                }
            }
        }
    }

    /** Returns the child for the level {@code key}, or {@code null}. Lock-free. */
    public N get(String key) {
        return get(key, 0, key.length());
    }

    /** Visits every child with its level. Lock-free; see the class comment for concurrent writes. */
    @SuppressWarnings("unchecked")
    public void forEach(BiConsumer<? super String, ? super N> visitor) {
        Object[] table = slots;
        for (int i = 0; i < table.length; i++) {
            Object slot = SLOT.getAcquire(table, i);
            if (slot != null && slot != TOMBSTONE) {
                Entry<N> entry = (Entry<N>) slot;
                visitor.accept(entry.key, entry.node);
            }
        }
    }

    /** Returns the number of children. Exact for the writer, a recent value for other threads. */
    public int size() {
        return size;
    }

    /** Returns true if there are no children. Exact for the writer, a recent value for other threads. */
    public boolean isEmpty() {
        return size == 0;
    }

    /**
     * Maps {@code key} to {@code node}, replacing any previous child. Writer only.
     *
     * @return the previous child, or {@code null}
     */
    @SuppressWarnings("unchecked")
    public N put(String key, N node) {
        int hash = hash(key, 0, key.length());
        Entry<N> entry = new Entry<>(key, hash, node);
        Object[] table = slots;
        int index = find(table, key, hash);
        if (index >= 0) {
            N previous = ((Entry<N>) table[index]).node;
            SLOT.setRelease(table, index, entry);
            return previous;
        }
        if ((usedSlots + 1) * 2 > table.length) {
            table = rebuild(size + 1);
        }
        int mask = table.length - 1;
        int i = hash & mask;
        while (table[i] != null && table[i] != TOMBSTONE) {
            i = (i + 1) & mask;
        }
        if (table[i] == null) {
            usedSlots++;
        }
        SLOT.setRelease(table, i, entry);
        size++;
        return null;
    }

    /**
     * Removes the child for {@code key}. Writer only.
     *
     * @return the removed child, or {@code null} if there was none
     */
    @SuppressWarnings("unchecked")
    public N remove(String key) {
        Object[] table = slots;
        int index = find(table, key, hash(key, 0, key.length()));
        if (index < 0) {
            return null;
        }
        N removed = ((Entry<N>) table[index]).node;
        SLOT.setRelease(table, index, TOMBSTONE);
        size--;
        if (table.length > MIN_CAPACITY && size * 8 < table.length) {
            rebuild(size); // shrink, so that churn does not leave large sparse tables behind
        }
        return removed;
    }

    /** Returns the slot index of {@code key}, or -1. Writer only, so plain reads are enough. */
    @SuppressWarnings("unchecked")
    private static int find(Object[] table, String key, int hash) {
        int mask = table.length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask) {
            Object slot = table[i];
            if (slot == null) {
                return -1;
            }
            if (slot != TOMBSTONE) {
                Entry<Object> entry = (Entry<Object>) slot;
                if (entry.hash == hash && entry.key.equals(key)) {
                    return i;
                }
            }
        }
    }

    /** Copies the live entries into a new table with room for {@code liveEntries} and publishes it. */
    private Object[] rebuild(int liveEntries) {
        int capacity = MIN_CAPACITY;
        while (capacity < liveEntries * 4) {
            capacity <<= 1;
        }
        Object[] old = slots;
        Object[] table = new Object[capacity];
        int mask = capacity - 1;
        for (Object slot : old) {
            if (slot != null && slot != TOMBSTONE) {
                int i = ((Entry<?>) slot).hash & mask;
                while (table[i] != null) {
                    i = (i + 1) & mask;
                }
                table[i] = slot;
            }
        }
        usedSlots = size;
        slots = table; // the volatile write publishes the filled table
        return table;
    }

    /** Hashes a level; the same function must serve keys and lookups so that regions and keys agree. */
    private static int hash(String text, int from, int to) {
        int h = 0;
        for (int i = from; i < to; i++) {
            h = 31 * h + text.charAt(i);
        }
        h *= 0x9E37_79B9; // spread the sequential hashes of numbered levels such as device ids
        return h ^ (h >>> 16);
    }

    private static final class Entry<N> {
        final String key;
        final int hash;
        final N node;

        Entry(String key, int hash, N node) {
            this.key = key;
            this.hash = hash;
            this.node = node;
        }
    }
}
