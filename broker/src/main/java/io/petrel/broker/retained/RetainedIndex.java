package io.petrel.broker.retained;

import io.petrel.api.Message;
import io.petrel.broker.routing.LevelMap;
import io.petrel.broker.routing.Topics;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Retained messages indexed by topic level, so that a wildcard filter finds its retained messages by
 * walking the matching branches instead of scanning every retained topic. Holds at most one message
 * per topic.
 *
 * <p>Threads: {@link #get} and {@link #match} take no lock and never block. {@link #put} and
 * {@link #remove} may be called from any thread, but a lock serializes them. A node's message is
 * replaced with one volatile write and a new node is built completely before it is published, so a
 * reader sees either the old or the new message of a topic. A {@code match} that overlaps writes may
 * or may not see them, but it always sees the messages that were retained for its whole duration.
 *
 * <p>Clearing a topic is a {@link #remove}; the caller decides that an empty retained payload
 * clears. Removing detaches nodes left without message and children, so memory follows the number
 * of retained topics. Every walk is iterative, so deep topics cannot overflow the stack.
 */
public final class RetainedIndex {

    private final Node root = new Node("");
    private final ReentrantLock writeLock = new ReentrantLock();
    private volatile int size;

    /**
     * Stores {@code message} as the retained message of its topic, replacing any previous one.
     *
     * @return the replaced message, or {@code null}
     * @throws IllegalArgumentException if the message topic is not a valid topic name
     */
    public Message put(Message message) {
        String topic = message.topic();
        String reason = Topics.checkTopicName(topic);
        if (reason != null) {
            throw new IllegalArgumentException("invalid topic name '" + topic + "': " + reason);
        }
        writeLock.lock();
        try {
            Node node = root;
            int start = 0;
            while (start <= topic.length()) {
                int end = levelEnd(topic, start);
                node = childForPut(node, topic, start, end);
                start = end + 1;
            }
            Message previous = node.message;
            node.message = message;
            if (previous == null) {
                size = size + 1; // only the writer thread holding the lock writes size
            }
            return previous;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Removes the retained message of {@code topic}.
     *
     * @return the removed message, or {@code null} if the topic had none
     */
    public Message remove(String topic) {
        return remove(topic, null);
    }

    /**
     * Removes the retained message of {@code topic} only if it is {@code expected} (compared by
     * identity), so that an expiry sweep never removes a message that replaced the expired one.
     *
     * @return true if {@code expected} was removed
     */
    public boolean removeIfSame(String topic, Message expected) {
        Objects.requireNonNull(expected, "expected");
        return remove(topic, expected) != null;
    }

    private Message remove(String topic, Message expected) {
        Objects.requireNonNull(topic, "topic");
        writeLock.lock();
        try {
            int levels = Topics.levelCount(topic);
            Node[] path = new Node[levels + 1];
            path[0] = root;
            int start = 0;
            for (int level = 0; level < levels; level++) {
                int end = levelEnd(topic, start);
                LevelMap<Node> children = path[level].children;
                Node child = children == null ? null : children.get(topic, start, end);
                if (child == null) {
                    return null;
                }
                path[level + 1] = child;
                start = end + 1;
            }
            Node node = path[levels];
            Message removed = node.message;
            if (removed == null || (expected != null && removed != expected)) {
                return null;
            }
            node.message = null;
            size = size - 1;
            prune(path);
            return removed;
        } finally {
            writeLock.unlock();
        }
    }

    /** Returns the retained message of {@code topic}, or {@code null}. Lock-free. */
    public Message get(String topic) {
        Node node = root;
        int start = 0;
        while (start <= topic.length()) {
            int end = levelEnd(topic, start);
            LevelMap<Node> children = node.children;
            node = children == null ? null : children.get(topic, start, end);
            if (node == null) {
                return null;
            }
            start = end + 1;
        }
        return node.message;
    }

    /**
     * Visits every retained message whose topic matches {@code filter}, a valid topic filter, in no
     * particular order. Wildcards at the first level skip topics starting with {@code '$'}. Lock-free;
     * the visitor runs on the calling thread and an exception it throws ends the walk.
     */
    public void match(String filter, Consumer<Message> visitor) {
        int length = filter.length();
        ArrayDeque<Step> pending = new ArrayDeque<>();
        pending.push(new Step(root, 0));
        while (!pending.isEmpty()) {
            Step step = pending.pop();
            Node node = step.node;
            int start = step.filterStart;
            if (start > length) {
                visit(node, visitor); // every filter level is matched
                continue;
            }
            int end = levelEnd(filter, start);
            boolean firstLevel = start == 0;
            if (end - start == 1 && filter.charAt(start) == '#') {
                visit(node, visitor); // '#' also matches the parent level: "a/#" matches "a"
                visitChildren(node, firstLevel, child -> visitSubtree(child, visitor));
            } else if (end - start == 1 && filter.charAt(start) == '+') {
                visitChildren(node, firstLevel, child -> pending.push(new Step(child, end + 1)));
            } else {
                LevelMap<Node> children = node.children;
                Node child = children == null ? null : children.get(filter, start, end);
                if (child != null) {
                    pending.push(new Step(child, end + 1));
                }
            }
        }
    }

    /** Returns the number of retained messages. */
    public int size() {
        return size;
    }

    /** Returns the number of nodes including the root; for tests of pruning. */
    int nodeCount() {
        writeLock.lock();
        try {
            int[] count = {0};
            ArrayDeque<Node> pending = new ArrayDeque<>();
            pending.push(root);
            while (!pending.isEmpty()) {
                Node node = pending.pop();
                count[0]++;
                if (node.children != null) {
                    node.children.forEach(pending::push);
                }
            }
            return count[0];
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Passes each child of {@code node} to {@code action}, skipping levels that start with {@code '$'}
     * when the wildcard is the first filter level [MQTT-4.7.2-1].
     */
    private static void visitChildren(Node node, boolean firstLevel, Consumer<Node> action) {
        LevelMap<Node> children = node.children;
        if (children == null) {
            return;
        }
        children.forEach(child -> {
            if (!(firstLevel && Topics.startsWithDollar(child.level()))) {
                action.accept(child);
            }
        });
    }

    private static void visitSubtree(Node top, Consumer<Message> visitor) {
        ArrayDeque<Node> pending = new ArrayDeque<>();
        pending.push(top);
        while (!pending.isEmpty()) {
            Node node = pending.pop();
            visit(node, visitor);
            LevelMap<Node> children = node.children;
            if (children != null) {
                children.forEach(pending::push);
            }
        }
    }

    private static void visit(Node node, Consumer<Message> visitor) {
        Message message = node.message;
        if (message != null) {
            visitor.accept(message);
        }
    }

    /** Returns the child of {@code node} for the level {@code topic[start, end)}, created if missing. */
    private static Node childForPut(Node node, String topic, int start, int end) {
        LevelMap<Node> children = node.children;
        // Looks the level up in place, so a level that exists costs no substring.
        Node existing = children == null ? null : children.get(topic, start, end);
        if (existing != null) {
            return existing;
        }
        Node created = new Node(topic.substring(start, end));
        LevelMap<Node> updated = children == null ? LevelMap.of(created) : children.put(created);
        if (updated != children) {
            node.children = updated; // publishes a new map once it contains the child
        }
        return created;
    }

    /** Detaches the empty nodes at the end of {@code path}, deepest first. */
    private static void prune(Node[] path) {
        for (int depth = path.length - 1; depth > 0; depth--) {
            Node node = path[depth];
            if (node.message != null || node.children != null) {
                return;
            }
            Node parent = path[depth - 1];
            LevelMap<Node> children = parent.children;
            LevelMap<Node> updated = children.remove(node.level());
            if (updated != children) {
                parent.children = updated;
            }
        }
    }

    private static int levelEnd(String topic, int start) {
        int end = topic.indexOf('/', start);
        return end < 0 ? topic.length() : end;
    }

    /** A node still to visit and the start of the filter level to match against its children. */
    private record Step(Node node, int filterStart) {
    }

    /** One topic level. Fields are written by the writer holding the lock and read by any thread. */
    private static final class Node extends LevelMap.Child {
        volatile Message message;
        /** Children by level, or {@code null} while there are none. */
        volatile LevelMap<Node> children;

        Node(String level) {
            super(level);
        }
    }
}
