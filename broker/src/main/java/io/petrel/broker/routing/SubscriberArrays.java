package io.petrel.broker.routing;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Changes to the subscriber arrays of {@link SubscriptionTrie}: each array lists the (subscriber, value)
 * pairs of one filter from index {@code from} on, the subscriber at the even offset. Readers iterate an
 * array without a lock (see {@link #subscriberAt}), while one writer at a time, holding the trie's lock,
 * changes it through this class.
 *
 * <p>A small array has exactly the length of its pairs, and each change copies it, so the writer publishes
 * a new array. An array becomes large when it would exceed {@value #SMALL_MAX_PAIRS} pairs and stays large
 * until half that many are left, so a large array may hold between 17 and 32 pairs too. A large array has
 * spare capacity at its end, filled with {@code null}, and writers change it in place, so subscribing the
 * n-th subscriber of a filter costs O(1) on average instead of O(n):
 * <ul>
 *   <li>a new subscriber takes the next free pair: its value is written first, then the subscriber with
 *       a release store, so a reader that sees the subscriber also sees its value;</li>
 *   <li>a removed subscriber's slot becomes {@link #REMOVED}, and its value stays, so that a reader that
 *       already loaded the subscriber still finds a value;</li>
 *   <li>a subscriber object that comes back takes its old pair again, so a reader never meets one
 *       subscriber object in two pairs of one array, and a pair never passes to another subscriber;</li>
 *   <li>a full array, or one with more removed pairs than live ones, is copied without its removed pairs
 *       and published in place of the old one.</li>
 * </ul>
 * Readers stop at the first {@code null} subscriber, skip {@link #REMOVED} and load values with
 * {@link #valueAt}. The writer keeps, per large array, the end of the used pairs and an index from
 * subscriber to pair, so finding a subscriber does not scan the array.
 *
 * <p>Threads: the writer methods and {@link #previousValue()} are for the trie's writer only, which holds
 * its lock. {@link #subscriberAt} may be called by any thread.
 */
final class SubscriberArrays {

    /** The subscriber slot of a pair whose subscriber was removed from a large array. */
    static final Object REMOVED = new Object();

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    /**
     * The maximum number of pairs in an array that each change copies. Larger arrays grow in place, and a
     * large array left with half this many pairs is copied back to an exact-length one.
     */
    private static final int SMALL_MAX_PAIRS = 32;

    /** Writer state of each large array, by identity of the array that readers currently see. */
    private final Map<Object[], Large> largeArrays = new IdentityHashMap<>();
    /** The value that the last {@link #put} replaced or {@link #remove} removed, or {@code null}. */
    private Object previousValue;

    /**
     * Returns the subscriber of the pair at {@code index}: {@code null} after the last pair,
     * {@link #REMOVED}, or a subscriber whose value the caller may then read at {@code index + 1}.
     * Lock-free.
     */
    static Object subscriberAt(Object[] array, int index) {
        return SLOT.getAcquire(array, index);
    }

    /**
     * Returns the value of the pair at {@code index}, whose subscriber {@link #subscriberAt} returned at
     * {@code index - 1}. Lock-free. The load has acquire semantics because a writer may replace the value in
     * place after the subscriber was loaded, and a plain load of that new value would not see its fields
     * as the writer built them.
     */
    static Object valueAt(Object[] array, int index) {
        return SLOT.getAcquire(array, index);
    }

    /** Returns the value that the last {@link #put} replaced or {@link #remove} removed, or {@code null}. */
    Object previousValue() {
        return previousValue;
    }

    /**
     * Adds {@code subscriber} with {@code value} to the pairs of {@code array} from {@code from} on, or
     * replaces its value. The previous value is then {@link #previousValue()}.
     *
     * @return the array to publish: {@code array} itself if it was changed in place, otherwise a new one
     */
    Object[] put(Object[] array, int from, Object subscriber, Object value) {
        Large large = largeArrays.get(array);
        if (large != null) {
            return putLarge(array, from, large, subscriber, value);
        }
        int index = indexOf(array, from, subscriber);
        if (index >= 0) {
            previousValue = array[index + 1];
            Object[] replaced = array.clone();
            replaced[index + 1] = value;
            return replaced;
        }
        previousValue = null;
        int pairs = (array.length - from) / 2;
        if (pairs < SMALL_MAX_PAIRS) {
            Object[] added = Arrays.copyOf(array, array.length + 2);
            added[array.length] = subscriber;
            added[array.length + 1] = value;
            return added;
        }
        return copyLarge(array, from, pairs, subscriber, value);
    }

    /**
     * Removes {@code subscriber} from the pairs of {@code array} from {@code from} on. The removed value,
     * or {@code null} if the subscriber was not there, is then {@link #previousValue()}.
     *
     * @return the array to publish: {@code array} itself if nothing changed or it was changed in place,
     *         otherwise a new one, which has no pair when the last subscriber left
     */
    Object[] remove(Object[] array, int from, Object subscriber) {
        Large large = largeArrays.get(array);
        if (large != null) {
            return removeLarge(array, from, large, subscriber);
        }
        int index = indexOf(array, from, subscriber);
        if (index < 0) {
            previousValue = null;
            return array;
        }
        previousValue = array[index + 1];
        Object[] remaining = new Object[array.length - 2];
        System.arraycopy(array, 0, remaining, 0, index);
        System.arraycopy(array, index + 2, remaining, index, array.length - index - 2);
        return remaining;
    }

    /** Returns the number of arrays that currently grow in place. For tests, from the writer thread. */
    int largeArrayCount() {
        return largeArrays.size();
    }

    private Object[] putLarge(Object[] array, int from, Large large, Object subscriber, Object value) {
        Integer pair = large.pairs.get(subscriber);
        if (pair != null) {
            previousValue = array[pair + 1];
            SLOT.setRelease(array, pair + 1, value);
            return array;
        }
        previousValue = null;
        Integer removedPair = large.removedPairs.remove(subscriber);
        if (removedPair != null) {
            int index = removedPair; // the subscriber's old pair, so that no reader meets it twice
            SLOT.setRelease(array, index + 1, value);
            SLOT.setRelease(array, index, subscriber);
            large.pairs.put(subscriber, index);
            return array;
        }
        if (large.end < array.length) {
            int index = large.end;
            array[index + 1] = value;
            SLOT.setRelease(array, index, subscriber);
            large.pairs.put(subscriber, index);
            large.end += 2;
            return array;
        }
        largeArrays.remove(array);
        return copyLarge(array, from, large.pairs.size(), subscriber, value);
    }

    private Object[] removeLarge(Object[] array, int from, Large large, Object subscriber) {
        Integer pair = large.pairs.remove(subscriber);
        if (pair == null) {
            previousValue = null;
            return array;
        }
        previousValue = array[pair + 1];
        large.removedPairs.put(array[pair], pair); // the object that readers may still hold
        SLOT.setRelease(array, pair, REMOVED);
        int live = large.pairs.size();
        int removedPairs = (large.end - from) / 2 - live;
        if (live > SMALL_MAX_PAIRS / 2 && removedPairs <= live) {
            return array;
        }
        largeArrays.remove(array);
        if (live > SMALL_MAX_PAIRS / 2) {
            return copyLarge(array, from, live, null, null);
        }
        Object[] small = Arrays.copyOf(array, from + 2 * live);
        copyLivePairs(array, from, large.end, small);
        return small;
    }

    /**
     * Returns a large copy of the live pairs of {@code array}, which has {@code livePairs} of them, with
     * room to grow, and registers it. Appends {@code subscriber} and {@code value} unless
     * {@code subscriber} is {@code null}.
     */
    private Object[] copyLarge(Object[] array, int from, int livePairs, Object subscriber, Object value) {
        int pairs = subscriber == null ? livePairs : livePairs + 1;
        Object[] copy = new Object[from + 4 * pairs]; // room for as many pairs again
        System.arraycopy(array, 0, copy, 0, from);
        int end = copyLivePairs(array, from, array.length, copy);
        if (subscriber != null) {
            copy[end] = subscriber;
            copy[end + 1] = value;
            end += 2;
        }
        Large large = new Large(end);
        for (int i = from; i < end; i += 2) {
            large.pairs.put(copy[i], i);
        }
        largeArrays.put(copy, large);
        return copy;
    }

    /**
     * Copies the live pairs of {@code source} from {@code from} up to {@code end} to {@code target} from
     * {@code from} on, and returns the index after the last one copied.
     */
    private static int copyLivePairs(Object[] source, int from, int end, Object[] target) {
        int next = from;
        for (int i = from; i < end; i += 2) {
            Object subscriber = source[i];
            if (subscriber == null) {
                break;
            }
            if (subscriber != REMOVED) {
                target[next] = subscriber;
                target[next + 1] = source[i + 1];
                next += 2;
            }
        }
        return next;
    }

    /** Returns the index of {@code subscriber} among the pairs of a small array from {@code from} on, or -1. */
    private static int indexOf(Object[] array, int from, Object subscriber) {
        for (int i = from; i < array.length; i += 2) {
            if (array[i].equals(subscriber)) {
                return i;
            }
        }
        return -1;
    }

    /** Writer state of one large array. */
    private static final class Large {
        /** Index of each live subscriber's pair. */
        final Map<Object, Integer> pairs = new HashMap<>();
        /**
         * Index of the pair of each removed subscriber, held weakly: a removed subscriber that no reader
         * or caller still references cannot come back as the same object, and the map does not keep it
         * alive.
         */
        final Map<Object, Integer> removedPairs = new WeakHashMap<>();
        /** Index after the last used pair; the pairs from here on are {@code null}. */
        int end;

        Large(int end) {
            this.end = end;
        }
    }
}
