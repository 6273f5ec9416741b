package io.petrel.broker.routing;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * The children of one topic-trie node, keyed by their level text. Readers look a level up by a region
 * of the topic string, so matching a topic allocates no substring per level.
 *
 * <p>Layout: an open-addressed table of children with linear probing. Each child carries its level
 * and a {@code long} key made from it (see {@link Child}), so a lookup loads only the child it is about
 * to descend into, and compares strings only for levels longer than 7 Latin-1 characters. Both the key
 * of a longer level and the slot of every key come from seeded {@link TopicHash} functions, so clients
 * cannot compute levels that all land in one probe sequence. Clients can see the order in which
 * {@link #forEach} visits children (retained messages for a wildcard arrive in it), and the seeded mix
 * keeps that order from revealing a linear rule for the slots of other keys.
 *
 * <p>Threads: one writer at a time, while any number of readers call {@link #get} and
 * {@link #forEach} without a lock and never block. The owner serializes the writes (both tries do so
 * with their write lock) and publishes the map that {@link #put} or {@link #remove} returns with a
 * volatile write. Within one map a slot goes from empty to a child, from that child to a tombstone, and
 * from a tombstone to the child of a level that had none. Each of these is a release store that readers
 * load with acquire semantics. A child keeps its slot for as long as it stays in the map. When the table
 * must grow or shrink, the writer builds a new map and leaves the old one unchanged, so a reader still
 * holding the old map sees a consistent older state. At least half of the slots stay empty, so every
 * probe ends. A reader therefore sees each child present or absent, never half written. A
 * {@link #forEach} that overlaps writes may see some of them and not others.
 *
 * @param <N> the node type
 */
public final class LevelMap<N extends LevelMap.Child> {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final Object TOMBSTONE = new Object();
    private static final int MIN_CAPACITY = 4;
    private static final int MAX_PACKED_LENGTH = 7;
    /** Marks a key made from the hash of a level that cannot be packed; such keys are negative. */
    private static final long HASHED = Long.MIN_VALUE;
    /** The position of a hashed key's level length, which takes the 16 bits below {@link #HASHED}. */
    private static final int HASHED_LENGTH_SHIFT = 47;

    /** Per slot: {@code null}, a child, or {@link #TOMBSTONE} after the child was removed. */
    private final Object[] slots;
    private final int mask;
    /** Live children. Read and written by the writer only. */
    private int size;
    /** Slots that are not {@code null}: live children plus tombstones. Read and written by the writer only. */
    private int usedSlots;

    private LevelMap(int capacity) {
        slots = new Object[capacity];
        mask = capacity - 1;
    }

    /** Creates a map with one child. */
    public static <N extends Child> LevelMap<N> of(N child) {
        LevelMap<N> map = new LevelMap<>(MIN_CAPACITY);
        map.insert(child);
        return map;
    }

    /** Returns the child for the level {@code text[from, to)}, or {@code null}. Lock-free. */
    public N get(String text, int from, int to) {
        return get(slots, key(text, from, to), text, from, to);
    }

    /**
     * Returns the child for the level {@code text[from, to)}, whose {@link #key} is {@code key}, in
     * the slot table of a map, or {@code null}. Lock-free. This lets an owner that publishes
     * {@link #slots()} search its children without loading the map object itself.
     */
    @SuppressWarnings("unchecked")
    static <N extends Child> N get(Object[] slots, long key, String text, int from, int to) {
        int mask = slots.length - 1;
        for (int slot = index(key, mask); ; slot = (slot + 1) & mask) {
            Object entry = SLOT.getAcquire(slots, slot);
            if (entry == null) {
                return null;
            }
            if (entry != TOMBSTONE) {
                Child child = (Child) entry;
                if (child.hasLevel(key, text, from, to)) {
                    return (N) child;
                }
            }
        }
    }

    /**
     * Returns the slot table that {@link #get(Object[], long, String, int, int)} searches. The map
     * changes it in place only as the class comment describes, and a copy gets a table of its own.
     */
    Object[] slots() {
        return slots;
    }

    /** Returns a child of this map, which is the only one when {@link #size()} is 1. Writer only. */
    @SuppressWarnings("unchecked")
    N anyChild() {
        for (Object entry : slots) {
            if (entry != null && entry != TOMBSTONE) {
                return (N) entry;
            }
        }
        throw new IllegalStateException("the map has no child");
    }

    /** Visits every child in a slot table returned by {@link #slots()}. Lock-free. */
    @SuppressWarnings("unchecked")
    static <N extends Child> void forEach(Object[] slots, Consumer<? super N> visitor) {
        for (int slot = 0; slot < slots.length; slot++) {
            Object entry = SLOT.getAcquire(slots, slot);
            if (entry != null && entry != TOMBSTONE) {
                visitor.accept((N) entry);
            }
        }
    }

    /** Returns the child for {@code level}, or {@code null}. Lock-free. */
    public N get(String level) {
        return get(level, 0, level.length());
    }

    /** Visits every child. Lock-free; see the class comment for concurrent writes. */
    public void forEach(Consumer<? super N> visitor) {
        forEach(slots, visitor);
    }

    /** Returns the number of children. Exact for the writer, a recent value for other threads. */
    public int size() {
        return size;
    }

    /**
     * Adds {@code child} under its level, replacing a previous child of that level. Writer only.
     *
     * @return the map to publish in place of this one: this map, or a larger copy
     */
    public LevelMap<N> put(N child) {
        LevelMap<N> target = this;
        if ((usedSlots + 1) * 2 > slots.length) {
            target = copy(size + 1);
        }
        Child added = child; // private fields are not accessible through the type variable
        int existing = target.find(added.key, added.level);
        if (existing >= 0) {
            // The replacement goes into an empty slot before the old slot becomes a tombstone, so
            // readers always find one of the two.
            target.insert(child);
            target.tombstone(existing);
        } else {
            target.insertAbsent(child);
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
        if (slots.length > MIN_CAPACITY && size * 8 < slots.length) {
            return copy(size); // shrink, so that churn does not leave large sparse tables behind
        }
        return this;
    }

    private void insert(Child child) {
        int slot = index(child.key, mask);
        while (slots[slot] != null) {
            slot = (slot + 1) & mask; // skips tombstones, which insertAbsent may reuse
        }
        SLOT.setRelease(slots, slot, child);
        size++;
        usedSlots++;
    }

    /**
     * Inserts {@code child}, whose level has no child yet, into the first tombstone or empty slot of its
     * probe sequence. Reusing tombstones keeps a level that is added and removed in turn from lengthening
     * its probe sequence by one slot each time.
     */
    private void insertAbsent(Child child) {
        int slot = index(child.key, mask);
        while (slots[slot] != null && slots[slot] != TOMBSTONE) {
            slot = (slot + 1) & mask;
        }
        if (slots[slot] == null) {
            usedSlots++;
        }
        SLOT.setRelease(slots, slot, child);
        size++;
    }

    private void tombstone(int slot) {
        SLOT.setRelease(slots, slot, TOMBSTONE);
        size--;
    }

    /**
     * Returns the maximum number of slots that a lookup of a child probes, 1 when every child is in its
     * home slot. For tests, from the writer thread.
     */
    int maxProbeLength() {
        int maxLength = 0;
        for (int slot = 0; slot < slots.length; slot++) {
            if (slots[slot] instanceof Child child) {
                maxLength = Math.max(maxLength, ((slot - index(child.key, mask)) & mask) + 1);
            }
        }
        return maxLength;
    }

    /** Returns the slot of {@code level}, or -1. Writer only, so plain reads are enough. */
    private int find(long key, String level) {
        for (int slot = index(key, mask); ; slot = (slot + 1) & mask) {
            Object entry = slots[slot];
            if (entry == null) {
                return -1;
            }
            if (entry != TOMBSTONE && ((Child) entry).key == key && ((Child) entry).level.equals(level)) {
                return slot;
            }
        }
    }

    /** Returns a new map with the live children of this one and room for {@code liveEntries}. */
    private LevelMap<N> copy(int liveEntries) {
        int capacity = MIN_CAPACITY;
        while (capacity < liveEntries * 3) {
            capacity <<= 1;
        }
        LevelMap<N> copy = new LevelMap<>(capacity);
        for (Object entry : slots) {
            if (entry != null && entry != TOMBSTONE) {
                copy.insert((Child) entry);
            }
        }
        return copy;
    }

    /**
     * Returns the key of the level {@code text[from, to)}: up to 7 Latin-1 characters packed with their
     * length plus one in the top byte, which is never negative, otherwise {@link #HASHED} combined with
     * the level's length in bits 47 to 62 and 47 bits of its {@link TopicHash}, which is always negative.
     * A level has at most 65,535 characters, as a topic has at most 65,535 bytes.
     */
    static long key(String text, int from, int to) {
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

    /**
     * Returns the {@link #key} of the level of {@code text} that starts at {@code from} and ends before
     * the next {@code '/'} or at the end of the text, reading its characters once.
     * {@link #levelLength} gives the level's length back from the key.
     */
    static long levelKey(String text, int from) {
        int length = text.length();
        long packed = 0;
        for (int i = from; i < length; i++) {
            char c = text.charAt(i);
            int position = i - from;
            if (c == '/') {
                return packed | ((long) (position + 1) << 56);
            }
            if (position == MAX_PACKED_LENGTH || c > 0xFF) {
                int end = text.indexOf('/', i);
                return hashedKey(text, from, end < 0 ? length : end);
            }
            packed |= (long) c << (8 * position);
        }
        return packed | ((long) (length - from + 1) << 56);
    }

    /** Returns the length of the level whose {@link #key} is {@code key}. */
    static int levelLength(long key) {
        return key >= 0 ? (int) (key >>> 56) - 1 : (int) (key >>> HASHED_LENGTH_SHIFT) & 0xFFFF;
    }

    private static long hashedKey(String text, int from, int to) {
        int length = to - from;
        if (length > 0xFFFF) {
            throw new IllegalArgumentException("topic level of " + length
                    + " characters: a valid topic or filter has at most 65535");
        }
        return HASHED | (long) length << HASHED_LENGTH_SHIFT | TopicHash.of(text, from, to) >>> 17;
    }

    private static int index(long key, int mask) {
        return TopicHash.slot(TopicHash.ofKey(key), mask); // packed keys are chosen by clients, bit by bit
    }

    /**
     * A trie node as a child in a {@link LevelMap}: its level text and the key derived from it, both
     * fixed at construction so that a reader can compare them without synchronization.
     */
    public abstract static class Child {
        private final String level;
        private final long key;

        protected Child(String level) {
            this.level = level;
            this.key = key(level, 0, level.length());
        }

        /** Returns the level text of this node. */
        public final String level() {
            return level;
        }

        /**
         * Returns true if this child's level is {@code text[from, to)}, whose {@link LevelMap#key} is
         * {@code key}. Compares the text only when the key is a hash.
         */
        final boolean hasLevel(long key, String text, int from, int to) {
            return this.key == key && (key >= 0
                    || level.length() == to - from && level.regionMatches(0, text, from, to - from));
        }
    }
}
