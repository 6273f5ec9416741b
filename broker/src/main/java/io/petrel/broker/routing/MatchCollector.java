package io.petrel.broker.routing;

import io.petrel.api.Message;
import io.petrel.api.Qos;

import java.util.Arrays;

/**
 * Collects the matches of one route call: each matched subscriber once, with the combined grants of
 * all its matching filters (the highest QoS, Retain As Published if any grant has it, and every
 * distinct subscription identifier).
 *
 * <p>The matches live in parallel arrays that are reused from one route call to the next, so
 * collecting allocates nothing unless the arrays or the index table grow, or a grant carries a
 * subscription identifier.
 *
 * <p>One filter lists a subscriber at most once ({@link SubscriptionTrie#put} replaces a subscriber's
 * value), so a subscriber is looked for only among the matches of the filters visited before its own.
 * The matches of the first filter, usually the only one, are appended without any search. Up to {@value #LINEAR_SEARCH_LIMIT} earlier matches are searched
 * linearly; beyond that an identity hash table of their indexes, filled when the next filter starts,
 * takes over, so a message with many subscribers costs linear time.
 *
 * <p>Threads: owned by one thread for the duration of one route call, then cleared.
 */
final class MatchCollector implements SubscriptionTrie.FilterVisitor<Subscriber, Grant> {

    private static final int INITIAL_CAPACITY = 16;
    private static final int LINEAR_SEARCH_LIMIT = 8;

    private Subscriber[] subscribers = new Subscriber[INITIAL_CAPACITY];
    private Qos[] qos = new Qos[INITIAL_CAPACITY];
    private boolean[] retainAsPublished = new boolean[INITIAL_CAPACITY];
    private int[][] subscriptionIds = new int[INITIAL_CAPACITY][];
    private int size;
    /** The index of the first match of the filter being visited. Only matches before it can list the same subscriber. */
    private int filterStart;
    /**
     * Open-addressing table of the indexes of the matches before {@link #filterStart}, each slot
     * {@code generation << 32 | index}. A slot of another generation is empty, so clearing the table
     * only takes a new generation. {@code null} until a filter starts after more than
     * {@value #LINEAR_SEARCH_LIMIT} matches.
     */
    private long[] indexTable;
    /** The generation of the current route call's slots; never 0, the generation of unused slots. */
    private int generation = 1;
    /** True while the current route call uses {@link #indexTable}. */
    private boolean indexed;
    private Object publisher;
    private boolean inUse;

    /**
     * Starts collecting the matches of a message from {@code publisher}. Returns false, changing
     * nothing, if a route call on this thread is still using this collector.
     */
    boolean start(Object publisher) {
        if (inUse) {
            return false;
        }
        inUse = true;
        this.publisher = publisher;
        return true;
    }

    @Override
    public void startFilter() {
        if (size > LINEAR_SEARCH_LIMIT) {
            if (indexed && size * 2 <= indexTable.length) {
                for (int i = filterStart; i < size; i++) {
                    insert(i);
                }
            } else {
                rebuildIndexTable();
            }
        }
        filterStart = size;
    }

    @Override
    public void accept(Subscriber subscriber, Grant grant) {
        // [MQTT-3.8.3-3]: with No Local, a client does not receive its own messages.
        if (grant.noLocal() && subscriber.isOrigin(publisher)) {
            return;
        }
        int index = filterStart == 0 ? -1 : indexOf(subscriber);
        if (index < 0) {
            append(subscriber, grant);
            return;
        }
        qos[index] = qos[index].max(grant.qos());
        retainAsPublished[index] |= grant.retainAsPublished();
        int id = grant.subscriptionId();
        if (id != 0 && !contains(subscriptionIds[index], id)) {
            int[] ids = Arrays.copyOf(subscriptionIds[index], subscriptionIds[index].length + 1);
            ids[ids.length - 1] = id;
            subscriptionIds[index] = ids;
        }
    }

    /** Returns the number of distinct subscribers collected. */
    int size() {
        return size;
    }

    /** Returns the subscriber at {@code index}, 0 to {@link #size()} - 1. */
    Subscriber subscriber(int index) {
        return subscribers[index];
    }

    /** Returns the delivery of {@code message} to the subscriber at {@code index}. */
    Delivery delivery(int index, Message message) {
        return Delivery.of(message.qos().min(qos[index]), retainAsPublished[index] && message.retain(),
                subscriptionIds[index]);
    }

    /** Forgets the collected matches, keeping the arrays, and makes the collector available again. */
    void clear() {
        // One loop rather than three Arrays.fill calls: most route calls collect one or a few matches.
        for (int i = 0; i < size; i++) {
            subscribers[i] = null;
            qos[i] = null;
            subscriptionIds[i] = null;
        }
        if (indexed) {
            indexed = false;
            generation++;
            if (generation == 0) {
                Arrays.fill(indexTable, 0);
                generation = 1;
            }
        }
        size = 0;
        filterStart = 0;
        publisher = null;
        inUse = false;
    }

    private int indexOf(Subscriber subscriber) {
        if (!indexed) {
            for (int i = 0; i < filterStart; i++) {
                if (subscribers[i] == subscriber) {
                    return i;
                }
            }
            return -1;
        }
        int mask = indexTable.length - 1;
        for (int slot = slotOf(subscriber, mask); ; slot = (slot + 1) & mask) {
            long entry = indexTable[slot];
            if ((int) (entry >>> 32) != generation) {
                return -1;
            }
            if (subscribers[(int) entry] == subscriber) {
                return (int) entry;
            }
        }
    }

    private void append(Subscriber subscriber, Grant grant) {
        if (size == subscribers.length) {
            grow();
        }
        int index = size++;
        subscribers[index] = subscriber;
        qos[index] = grant.qos();
        retainAsPublished[index] = grant.retainAsPublished();
        subscriptionIds[index] = grant.subscriptionId() == 0
                ? Delivery.NO_SUBSCRIPTION_IDS : new int[] {grant.subscriptionId()};
    }

    private void grow() {
        int capacity = subscribers.length * 2;
        subscribers = Arrays.copyOf(subscribers, capacity);
        qos = Arrays.copyOf(qos, capacity);
        retainAsPublished = Arrays.copyOf(retainAsPublished, capacity);
        subscriptionIds = Arrays.copyOf(subscriptionIds, capacity);
    }

    /**
     * Enters every collected match in an index table with at least half of its slots empty, so that
     * every probe ends.
     */
    private void rebuildIndexTable() {
        int capacity = Integer.highestOneBit(size * 4);
        if (indexTable == null || indexTable.length < capacity) {
            indexTable = new long[capacity]; // all slots of generation 0, so empty
        }
        indexed = true;
        for (int i = 0; i < size; i++) {
            insert(i);
        }
    }

    private void insert(int index) {
        int mask = indexTable.length - 1;
        int slot = slotOf(subscribers[index], mask);
        while ((int) (indexTable[slot] >>> 32) == generation) {
            slot = (slot + 1) & mask;
        }
        indexTable[slot] = (long) generation << 32 | index;
    }

    /**
     * Returns the home slot of {@code subscriber} in a table of {@code mask + 1} slots, a power of two
     * of at least 2. The slot is the top bits of its Fibonacci hash, as many as the table needs, so
     * every slot can be a home slot however large the table grows.
     */
    static int slotOf(Subscriber subscriber, int mask) {
        return (System.identityHashCode(subscriber) * 0x9E37_79B9) >>> Integer.numberOfLeadingZeros(mask);
    }

    private static boolean contains(int[] values, int value) {
        for (int candidate : values) {
            if (candidate == value) {
                return true;
            }
        }
        return false;
    }
}
