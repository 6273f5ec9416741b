package io.petrel.broker.routing;

import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;

import java.util.HashMap;
import java.util.Map;

/**
 * The shared subscription groups, each registered once in the subscription trie under its filter.
 *
 * <p>Threads: {@link #join} and {@link #leave} are serialized by a lock; routing reads the groups
 * through the trie without it.
 */
public final class SharedSubscriptions {

    private final SubscriptionTrie<Subscriber, Grant> trie;
    private final Map<ShareName, SharedGroup> groups = new HashMap<>();
    private final DeliveryGate gate;

    /** Creates the registry of groups over {@code trie}. */
    public SharedSubscriptions(SubscriptionTrie<Subscriber, Grant> trie) {
        this(trie, null);
    }

    /**
     * Creates the registry of groups over {@code trie}, whose groups pass each delivery to a member
     * through {@code gate}, or directly when it is null.
     */
    public SharedSubscriptions(SubscriptionTrie<Subscriber, Grant> trie, DeliveryGate gate) {
        this.trie = trie;
        this.gate = gate;
    }

    /** Adds {@code member} to the group; returns true if it was not a member before. */
    public synchronized boolean join(ShareName name, Subscriber member, Grant grant) {
        SharedGroup group = groups.get(name);
        if (group == null) {
            group = new SharedGroup(name, gate);
            groups.put(name, group);
            // The group takes the publisher's QoS; each member's grant lowers it on delivery.
            trie.put(name.filter(), group, new Grant(name.filter(), Qos.EXACTLY_ONCE, false, false,
                    RetainHandling.DO_NOT_SEND, 0));
        }
        return group.put(member, grant);
    }

    /** Removes {@code member} from the group; returns true if it was a member. */
    public synchronized boolean leave(ShareName name, Subscriber member) {
        SharedGroup group = groups.get(name);
        if (group == null) {
            return false;
        }
        boolean removed = group.remove(member);
        if (group.isEmpty()) {
            groups.remove(name);
            trie.remove(name.filter(), group);
        }
        return removed;
    }

    /** Returns the number of groups. */
    public synchronized int size() {
        return groups.size();
    }
}
