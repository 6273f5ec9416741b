package io.petrel.broker.routing;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;

/**
 * Subscriptions indexed by topic-filter level: each filter maps to a set of subscribers, each with a
 * value (for the broker, the granted QoS and subscription options). Subscribers are compared with
 * {@code equals}.
 *
 * <p>Threads: {@link #match} takes no lock and never blocks, so any thread may route a message at any
 * time. {@link #put} and {@link #remove} may also be called from any thread, but a lock serializes
 * them. To change the subscribers of a node, a writer builds a new array and publishes it with one
 * volatile write, so a concurrent {@code match} sees either the old or the new subscriber set of every
 * node, never a partial one. A new child node is built completely before it is published, and the
 * children of a node live in a {@link LevelMap}, which readers can search while one writer changes
 * it. A match that overlaps a {@code put} or {@code remove} may or may not see that change, but it
 * sees every subscription that was present for its whole duration.
 *
 * <p>Filters without wildcards live outside the trie, in a hash map keyed by the whole filter whose
 * values are subscriber arrays like those of a node. A match looks the topic up there once and then
 * walks the trie, which contains only wildcard filters, so the walk loads fewer nodes that are not in
 * the CPU caches. Writers replace the map's values under the same lock, so the guarantees above hold
 * for them too.
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
    /**
     * Subscribers of each wildcard-free filter: subscriber at each even index, its value at the next
     * odd index. Never contains an empty array. Written only under {@link #writeLock}.
     */
    private final ConcurrentHashMap<String, Object[]> exactFilters = new ConcurrentHashMap<>();
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
                node = childForPut(node, filter, start, end);
                if (end == filter.length()) {
                    break;
                }
                start = end + 1;
            }
            return putSubscriber(node, subscriber, value);
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
            Node[] path = new Node[levels + 1];
            path[0] = root;
            int start = 0;
            for (int level = 0; level < levels; level++) {
                int end = Topics.levelEnd(filter, start);
                Node child = child(path[level], filter, start, end);
                if (child == null) {
                    return null;
                }
                path[level + 1] = child;
                start = end + 1;
            }
            V removed = removeSubscriber(path[levels], subscriber);
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
     * A subscriber with several matching filters is visited once per filter. Lock-free; the visitor
     * runs on the calling thread and an exception it throws ends the match.
     */
    public void match(String topic, BiConsumer<? super S, ? super V> visitor) {
        Object[] exact = exactFilters.get(topic);
        if (exact != null) {
            visitSubscribers(exact, visitor);
        }
        if (Topics.startsWithDollar(topic)) {
            // [MQTT-4.7.2-1]: wildcards at the first level do not match topics starting with '$'.
            LevelMap<Node> children = root.children;
            if (children == null) {
                return;
            }
            int end = Topics.levelEnd(topic, 0);
            Node child = children.get(topic, 0, end);
            if (child != null) {
                matchFrom(child, topic, end + 1, visitor);
            }
            return;
        }
        matchFrom(root, topic, 0, visitor);
    }

    /** Returns the number of (filter, subscriber) entries. */
    public long size() {
        return size;
    }

    /** Returns true if the trie contains no subscription. */
    public boolean isEmpty() {
        return size == 0;
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
                if (node.multiLevelChild != null) {
                    pending.push(node.multiLevelChild);
                }
                if (node.children != null) {
                    node.children.forEach(pending::push);
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
            Node multiLevel = node.multiLevelChild;
            if (multiLevel != null) {
                visitSubscribers(multiLevel, visitor); // '#' matches the remaining levels, none included
            }
            if (start > length) {
                visitSubscribers(node, visitor);
                return;
            }
            int end = topic.indexOf('/', start);
            if (end < 0) {
                end = length;
            }
            Node singleLevel = node.singleLevelChild;
            if (singleLevel != null) {
                matchFrom(singleLevel, topic, end + 1, visitor);
            }
            LevelMap<Node> children = node.children;
            if (children == null) {
                return;
            }
            node = children.get(topic, start, end);
            if (node == null) {
                return;
            }
            start = end + 1;
        }
    }

    private void visitSubscribers(Node node, BiConsumer<? super S, ? super V> visitor) {
        visitSubscribers(node.subscribers, visitor);
    }

    @SuppressWarnings("unchecked")
    private void visitSubscribers(Object[] subscribers, BiConsumer<? super S, ? super V> visitor) {
        for (int i = 0; i < subscribers.length; i += 2) {
            visitor.accept((S) subscribers[i], (V) subscribers[i + 1]);
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

    /** Returns the child of {@code node} for the filter level {@code [start, end)}, or {@code null}. */
    private static Node child(Node node, String filter, int start, int end) {
        if (Topics.isLevel(filter, start, end, '+')) {
            return node.singleLevelChild;
        }
        if (Topics.isLevel(filter, start, end, '#')) {
            return node.multiLevelChild;
        }
        LevelMap<Node> children = node.children;
        return children == null ? null : children.get(filter, start, end);
    }

    /** Returns the child for the filter level {@code [start, end)}, creating and publishing it if absent. */
    private static Node childForPut(Node node, String filter, int start, int end) {
        Node existing = child(node, filter, start, end);
        if (existing != null) {
            return existing;
        }
        Node created = new Node(filter.substring(start, end));
        if (Topics.isLevel(filter, start, end, '+')) {
            node.singleLevelChild = created;
        } else if (Topics.isLevel(filter, start, end, '#')) {
            node.multiLevelChild = created;
        } else {
            LevelMap<Node> children = node.children;
            LevelMap<Node> updated = children == null ? LevelMap.of(created) : children.put(created);
            if (updated != children) {
                node.children = updated; // publishes a new map once it contains the child
            }
        }
        return created;
    }

    @SuppressWarnings("unchecked")
    private V putExact(String filter, S subscriber, V value) {
        Object[] current = exactFilters.getOrDefault(filter, NO_SUBSCRIBERS);
        int index = indexOf(current, subscriber);
        if (index >= 0) {
            Object[] replaced = current.clone();
            replaced[index + 1] = value;
            exactFilters.put(filter, replaced);
            return (V) current[index + 1];
        }
        Object[] added = Arrays.copyOf(current, current.length + 2);
        added[current.length] = subscriber;
        added[current.length + 1] = value;
        exactFilters.put(filter, added);
        size = size + 1;
        return null;
    }

    @SuppressWarnings("unchecked")
    private V removeExact(String filter, S subscriber) {
        Object[] current = exactFilters.get(filter);
        if (current == null) {
            return null;
        }
        int index = indexOf(current, subscriber);
        if (index < 0) {
            return null;
        }
        if (current.length == 2) {
            exactFilters.remove(filter);
        } else {
            exactFilters.put(filter, without(current, index));
        }
        size = size - 1;
        return (V) current[index + 1];
    }

    @SuppressWarnings("unchecked")
    private V putSubscriber(Node node, S subscriber, V value) {
        Object[] current = node.subscribers;
        int index = indexOf(current, subscriber);
        if (index >= 0) {
            Object[] replaced = current.clone();
            replaced[index + 1] = value;
            node.subscribers = replaced;
            return (V) current[index + 1];
        }
        // NOTE: each change copies the node's whole subscriber array, so subscribing to a filter that
        // already has n subscribers costs O(n).
        Object[] added = Arrays.copyOf(current, current.length + 2);
        added[current.length] = subscriber;
        added[current.length + 1] = value;
        node.subscribers = added;
        size = size + 1; // only the writer thread holding the lock writes size
        return null;
    }

    @SuppressWarnings("unchecked")
    private V removeSubscriber(Node node, S subscriber) {
        Object[] current = node.subscribers;
        int index = indexOf(current, subscriber);
        if (index < 0) {
            return null;
        }
        node.subscribers = current.length > 2 ? without(current, index) : NO_SUBSCRIBERS;
        size = size - 1;
        return (V) current[index + 1];
    }

    /** Returns a copy of a subscriber array without the pair at {@code index}. */
    private static Object[] without(Object[] subscribers, int index) {
        Object[] remaining = new Object[subscribers.length - 2];
        System.arraycopy(subscribers, 0, remaining, 0, index);
        System.arraycopy(subscribers, index + 2, remaining, index, subscribers.length - index - 2);
        return remaining;
    }

    private static int indexOf(Object[] subscribers, Object subscriber) {
        for (int i = 0; i < subscribers.length; i += 2) {
            if (subscribers[i].equals(subscriber)) {
                return i;
            }
        }
        return -1;
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
            } else if (parent.multiLevelChild == node) {
                parent.multiLevelChild = null;
            } else {
                LevelMap<Node> children = parent.children;
                LevelMap<Node> updated = children.remove(node.level());
                if (updated != children) {
                    parent.children = updated;
                }
            }
        }
    }

    /** One filter level. Fields are written by the writer holding the lock and read by any thread. */
    private static final class Node extends LevelMap.Child {
        /** Subscriber at each even index, its value at the next odd index. Replaced, never changed in place. */
        volatile Object[] subscribers = NO_SUBSCRIBERS;
        volatile Node singleLevelChild;
        volatile Node multiLevelChild;
        /** Children for exact levels, or {@code null} while there are none. */
        volatile LevelMap<Node> children;

        Node(String level) {
            super(level);
        }

        boolean isEmpty() {
            return subscribers.length == 0 && singleLevelChild == null && multiLevelChild == null
                    && children == null;
        }
    }
}
