package io.petrel.broker.routing;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;

/**
 * Subscriptions indexed by topic-filter level: each filter maps to a set of subscribers, each with a
 * value (for the broker, the granted QoS and subscription options). Subscribers are compared with
 * {@code equals}.
 *
 * <p>Threads: {@link #match} takes no lock and never blocks, so any thread may route a message at any
 * time. {@link #put} and {@link #remove} may also be called from any thread, but a lock serializes
 * them. A filter's subscriber array becomes large when it would exceed 32 subscribers and stays large
 * until 16 are left. A writer changes a large array in place, as {@link SubscriberArrays} describes,
 * so that the n-th subscriber of a filter does not cost a copy of n. To change any other array, it
 * builds a new one and publishes it with one volatile write. Either way a concurrent {@code match}
 * visits each subscriber object of a filter at most once, with a value that was current during the
 * match. NOTE: a subscriber that is equal to, but not the same object as, one removed during the match
 * may be visited as well; the broker's subscribers are equal only to themselves. A new child node is
 * built completely before it is published. A node with one exact-level child points to it directly.
 * With more, readers search the slot table of a {@link LevelMap}, which one writer may change while
 * they do. A match that overlaps a {@code put} or {@code remove} may or may not see that change, but
 * it sees every subscription that was present for its whole duration.
 *
 * <p>Filters without wildcards live outside the trie, in a hash table keyed by the whole filter
 * ({@link ExactFilters}) whose entries hold subscribers like the arrays of a node. A match looks the
 * topic up there once and then walks the trie, which contains only wildcard filters, so the walk loads
 * fewer nodes that are not in the CPU caches. Writers replace the table's entries under the same lock,
 * so the guarantees above hold for them too.
 *
 * <p>{@code remove} detaches nodes left without subscribers and children, and drops map entries left
 * without subscribers, so memory follows the number of subscriptions rather than their history.
 *
 * <p>Matching recurses once per {@code '+'} level along a path, so {@link #put} rejects filters with
 * more levels than the limit given to the constructor. This bounds the stack depth of {@code match},
 * whatever topics publishers send.
 *
 * @param <S> the subscriber type, compared with {@code equals}
 * @param <V> the value stored per (filter, subscriber)
 */
public final class SubscriptionTrie<S, V> {

    /** Default maximum number of levels in a filter passed to {@link #put}. */
    public static final int DEFAULT_MAX_FILTER_LEVELS = 1024;

    private static final Object[] NO_SUBSCRIBERS = new Object[0];

    private final Node root = new Node("");
    /** Subscribers of each wildcard-free filter. Written only under {@link #writeLock}. */
    private final ExactFilters exactFilters = new ExactFilters();
    /** Changes the subscriber arrays of nodes and exact filters. Used only under {@link #writeLock}. */
    private final SubscriberArrays subscriberArrays = new SubscriberArrays();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final int maxFilterLevels;
    private volatile long size;

    /** Creates an empty trie that accepts filters of up to {@link #DEFAULT_MAX_FILTER_LEVELS} levels. */
    public SubscriptionTrie() {
        this(DEFAULT_MAX_FILTER_LEVELS);
    }

    /** Creates an empty trie that accepts filters of up to {@code maxFilterLevels} levels. */
    public SubscriptionTrie(int maxFilterLevels) {
        if (maxFilterLevels < 1) {
            throw new IllegalArgumentException("invalid maxFilterLevels " + maxFilterLevels + ": expected 1 or more");
        }
        this.maxFilterLevels = maxFilterLevels;
    }

    /**
     * Adds or replaces the subscription of {@code subscriber} to {@code filter}.
     *
     * @return the previous value for this filter and subscriber, or {@code null} if there was none
     * @throws IllegalArgumentException if the filter is invalid or has more levels than the limit
     */
    public V put(String filter, S subscriber, V value) {
        Objects.requireNonNull(subscriber, "subscriber");
        Objects.requireNonNull(value, "value");
        requireValidFilter(filter);
        writeLock.lock();
        try {
            if (!Topics.hasWildcard(filter)) {
                return putExact(filter, subscriber, value);
            }
            Node node = root;
            int start = 0;
            while (true) {
                int end = Topics.levelEnd(filter, start);
                if (Topics.isLevel(filter, start, end, '#')) {
                    return putSubscriber(node, true, subscriber, value); // '#' is always the last level
                }
                node = childForPut(node, filter, start, end);
                if (end == filter.length()) {
                    return putSubscriber(node, false, subscriber, value);
                }
                start = end + 1;
            }
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Removes the subscription of {@code subscriber} to {@code filter}.
     *
     * @return the removed value, or {@code null} if there was no such subscription
     */
    public V remove(String filter, S subscriber) {
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(subscriber, "subscriber");
        writeLock.lock();
        try {
            int levels = Topics.levelCount(filter);
            if (levels > maxFilterLevels) {
                return null; // put never stored such a filter
            }
            if (!Topics.hasWildcard(filter)) {
                return removeExact(filter, subscriber);
            }
            // '#' is always the last level, and its subscribers belong to the node of the level before it.
            boolean multiLevel = filter.equals("#") || filter.endsWith("/#");
            int nodeLevels = multiLevel ? levels - 1 : levels;
            Node[] path = new Node[nodeLevels + 1];
            path[0] = root;
            int start = 0;
            for (int level = 0; level < nodeLevels; level++) {
                int end = Topics.levelEnd(filter, start);
                Node child = child(path[level], filter, start, end);
                if (child == null) {
                    return null;
                }
                path[level + 1] = child;
                start = end + 1;
            }
            V removed = removeSubscriber(path[nodeLevels], multiLevel, subscriber);
            if (removed != null) {
                prune(path);
            }
            return removed;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Visits every (subscriber, value) of every filter that matches {@code topic}, a valid topic name.
     * A subscriber with several matching filters is visited once per filter, and the subscribers of one
     * filter are visited together. Lock-free; the visitor runs on the calling thread and an exception it
     * throws ends the match.
     */
    public void match(String topic, BiConsumer<? super S, ? super V> visitor) {
        Object[] exact = exactFilters.get(topic);
        if (exact != null) {
            visitSubscribers(exact, 1, visitor);
        }
        if (Topics.startsWithDollar(topic)) {
            // [MQTT-4.7.2-1]: wildcards at the first level do not match topics starting with '$'.
            Object children = root.children;
            if (children == null) {
                return;
            }
            long key = LevelMap.levelKey(topic, 0);
            int end = LevelMap.levelLength(key);
            Node child = exactChild(children, key, topic, 0, end);
            if (child != null) {
                matchFrom(child, topic, end + 1, visitor);
            }
            return;
        }
        matchFrom(root, topic, 0, visitor);
    }

    /**
     * A visitor of {@link #match} that also learns where the subscribers of each matching filter
     * start. {@link #put} replaces the value of a subscriber that the filter already lists, so one
     * filter lists a subscriber at most once. A visitor that merges the matches of one subscriber
     * therefore only needs to look among the subscribers of the filters visited before.
     *
     * @param <S> the subscriber type
     * @param <V> the value type
     */
    public interface FilterVisitor<S, V> extends BiConsumer<S, V> {

        /** Called before the first subscriber of each matching filter that has subscribers. */
        void startFilter();
    }

    /** Returns the number of (filter, subscriber) entries. */
    public long size() {
        return size;
    }

    /** Returns true if the trie contains no subscription. */
    public boolean isEmpty() {
        return size == 0;
    }

    /** Returns the number of subscriber arrays that change in place. For tests. */
    int largeSubscriberArrayCount() {
        writeLock.lock();
        try {
            return subscriberArrays.largeArrayCount();
        } finally {
            writeLock.unlock();
        }
    }

    /** Returns the number of trie nodes including the root plus the number of wildcard-free filters. For tests. */
    int nodeCount() {
        writeLock.lock();
        try {
            int count = exactFilters.size();
            ArrayDeque<Node> pending = new ArrayDeque<>();
            pending.push(root);
            while (!pending.isEmpty()) {
                Node node = pending.pop();
                count++;
                if (node.singleLevelChild != null) {
                    pending.push(node.singleLevelChild);
                }
                Object children = node.children;
                if (children instanceof Node only) {
                    pending.push(only);
                } else if (children != null) {
                    LevelMap.<Node>forEach((Object[]) children, pending::push);
                }
            }
            return count;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Visits the subscribers of the filters below {@code node} that match the topic levels from
     * {@code start} on; {@code start > topic.length()} means that no level is left. Recurses only for
     * {@code '+'} children and walks exact levels in the loop.
     */
    private void matchFrom(Node node, String topic, int start, BiConsumer<? super S, ? super V> visitor) {
        int length = topic.length();
        while (true) {
            // '#' matches the remaining levels, none included.
            visitSubscribers(node.multiLevelSubscribers, visitor);
            if (start > length) {
                visitSubscribers(node.subscribers, visitor);
                return;
            }
            long key = LevelMap.levelKey(topic, start);
            int end = start + LevelMap.levelLength(key);
            Node singleLevel = node.singleLevelChild;
            if (singleLevel != null) {
                matchFrom(singleLevel, topic, end + 1, visitor);
            }
            Object children = node.children;
            if (children == null) {
                return;
            }
            node = exactChild(children, key, topic, start, end);
            if (node == null) {
                return;
            }
            start = end + 1;
        }
    }

    private void visitSubscribers(Object[] subscribers, BiConsumer<? super S, ? super V> visitor) {
        visitSubscribers(subscribers, 0, visitor);
    }

    /**
     * Visits the pairs of {@code subscribers} from index {@code from} on, the subscribers of one
     * filter, after telling a {@link FilterVisitor} that a filter starts.
     */
    @SuppressWarnings("unchecked")
    private void visitSubscribers(Object[] subscribers, int from, BiConsumer<? super S, ? super V> visitor) {
        if (from >= subscribers.length) {
            return;
        }
        if (visitor instanceof FilterVisitor<?, ?> filters) {
            filters.startFilter();
        }
        for (int i = from; i < subscribers.length; i += 2) {
            Object subscriber = SubscriberArrays.subscriberAt(subscribers, i);
            if (subscriber == null) {
                return; // the spare capacity of a large array
            }
            if (subscriber != SubscriberArrays.REMOVED) {
                visitor.accept((S) subscriber, (V) SubscriberArrays.valueAt(subscribers, i + 1));
            }
        }
    }

    /**
     * Returns null if {@link #put} accepts {@code filter}, otherwise the problem: an invalid filter,
     * or more levels than this trie's limit.
     */
    public String checkFilter(String filter) {
        String reason = Topics.checkTopicFilter(filter);
        if (reason != null) {
            return reason;
        }
        int levels = Topics.levelCount(filter);
        if (levels > maxFilterLevels) {
            return "the filter has " + levels + " levels, the maximum is " + maxFilterLevels;
        }
        return null;
    }

    private void requireValidFilter(String filter) {
        String reason = checkFilter(filter);
        if (reason != null) {
            throw new IllegalArgumentException("invalid topic filter '" + filter + "': " + reason);
        }
    }

    /**
     * Returns the child of {@code node} for the filter level {@code [start, end)}, which is not
     * {@code '#'}, or {@code null}.
     */
    private static Node child(Node node, String filter, int start, int end) {
        if (Topics.isLevel(filter, start, end, '+')) {
            return node.singleLevelChild;
        }
        Object children = node.children;
        return children == null ? null : exactChild(children, LevelMap.key(filter, start, end), filter, start, end);
    }

    /**
     * Returns the child for the exact level {@code [start, end)} of {@code text}, whose key is
     * {@code key}, among a node's {@code children} (not null: the only child or a slot table), or
     * {@code null}. Lock-free.
     */
    private static Node exactChild(Object children, long key, String text, int start, int end) {
        if (children instanceof Node only) {
            return only.hasLevel(key, text, start, end) ? only : null;
        }
        return LevelMap.get((Object[]) children, key, text, start, end);
    }

    /**
     * Returns the child for the filter level {@code [start, end)}, which is not {@code '#'}, creating and
     * publishing it if absent.
     */
    private static Node childForPut(Node node, String filter, int start, int end) {
        Node existing = child(node, filter, start, end);
        if (existing != null) {
            return existing;
        }
        Node created = new Node(filter.substring(start, end));
        if (Topics.isLevel(filter, start, end, '+')) {
            node.singleLevelChild = created;
        } else {
            Object children = node.children;
            if (children == null) {
                node.children = created;
            } else {
                LevelMap<Node> map = children instanceof Node only ? LevelMap.of(only) : node.childMap;
                LevelMap<Node> updated = map.put(created);
                node.childMap = updated;
                node.children = updated.slots(); // publishes a new table once it contains the child
            }
        }
        return created;
    }

    @SuppressWarnings("unchecked")
    private V putExact(String filter, S subscriber, V value) {
        Object[] current = exactFilters.get(filter);
        if (current == null) {
            current = new Object[] {filter};
        }
        Object[] updated = subscriberArrays.put(current, 1, subscriber, value);
        if (updated != current) {
            exactFilters.put(updated);
        }
        return countPut((V) subscriberArrays.previousValue());
    }

    @SuppressWarnings("unchecked")
    private V removeExact(String filter, S subscriber) {
        Object[] current = exactFilters.get(filter);
        if (current == null) {
            return null;
        }
        Object[] updated = subscriberArrays.remove(current, 1, subscriber);
        if (updated.length == 1) {
            exactFilters.remove(filter);
        } else if (updated != current) {
            exactFilters.put(updated);
        }
        return countRemove((V) subscriberArrays.previousValue());
    }

    /**
     * Adds or replaces a subscriber of {@code node}'s filter, or with {@code multiLevel} of that
     * filter followed by {@code '#'}.
     */
    @SuppressWarnings("unchecked")
    private V putSubscriber(Node node, boolean multiLevel, S subscriber, V value) {
        Object[] current = node.subscribers(multiLevel);
        Object[] updated = subscriberArrays.put(current, 0, subscriber, value);
        if (updated != current) {
            node.setSubscribers(multiLevel, updated);
        }
        return countPut((V) subscriberArrays.previousValue());
    }

    @SuppressWarnings("unchecked")
    private V removeSubscriber(Node node, boolean multiLevel, S subscriber) {
        Object[] current = node.subscribers(multiLevel);
        Object[] updated = subscriberArrays.remove(current, 0, subscriber);
        if (updated != current) {
            node.setSubscribers(multiLevel, updated.length == 0 ? NO_SUBSCRIBERS : updated);
        }
        return countRemove((V) subscriberArrays.previousValue());
    }

    /** Counts a new (filter, subscriber) pair unless {@code previous}, the replaced value, is not {@code null}. */
    private V countPut(V previous) {
        if (previous == null) {
            size = size + 1; // only the writer thread holding the lock writes size
        }
        return previous;
    }

    /** Counts a removed (filter, subscriber) pair if {@code removed} is not {@code null}. */
    private V countRemove(V removed) {
        if (removed != null) {
            size = size - 1;
        }
        return removed;
    }

    /** Detaches the empty nodes at the end of {@code path}, deepest first. */
    private static void prune(Node[] path) {
        for (int depth = path.length - 1; depth > 0; depth--) {
            Node node = path[depth];
            if (!node.isEmpty()) {
                return;
            }
            Node parent = path[depth - 1];
            if (parent.singleLevelChild == node) {
                parent.singleLevelChild = null;
            } else if (parent.children == node) {
                parent.children = null;
            } else {
                LevelMap<Node> updated = parent.childMap.remove(node.level());
                if (updated.size() == 1) {
                    parent.childMap = null;
                    parent.children = updated.anyChild();
                } else {
                    parent.childMap = updated;
                    parent.children = updated.slots();
                }
            }
        }
    }

    /** One filter level. Fields are written by the writer holding the lock and read by any thread. */
    private static final class Node extends LevelMap.Child {
        /**
         * Subscriber at each even index, its value at the next odd index. A large array changes in place
         * and any other is replaced on each change, as {@link SubscriberArrays} describes.
         */
        volatile Object[] subscribers = NO_SUBSCRIBERS;
        /**
         * The subscribers of this node's filter followed by {@code '#'}, laid out as {@link #subscribers}.
         * A {@code '#'} level is always the last one, so it needs no node of its own.
         */
        volatile Object[] multiLevelSubscribers = NO_SUBSCRIBERS;
        volatile Node singleLevelChild;
        /**
         * Children for exact levels: {@code null} while there are none, the child itself while there
         * is one, otherwise the slot table of {@link #childMap}. Pointing to a single child directly
         * saves a matching thread two loads that are often cache misses.
         */
        volatile Object children;
        /** The children while there are two or more, otherwise {@code null}. Writer only. */
        LevelMap<Node> childMap;

        Node(String level) {
            super(level);
        }

        Object[] subscribers(boolean multiLevel) {
            return multiLevel ? multiLevelSubscribers : subscribers;
        }

        void setSubscribers(boolean multiLevel, Object[] updated) {
            if (multiLevel) {
                multiLevelSubscribers = updated;
            } else {
                subscribers = updated;
            }
        }

        boolean isEmpty() {
            return subscribers.length == 0 && multiLevelSubscribers.length == 0 && singleLevelChild == null
                    && children == null;
        }
    }
}
