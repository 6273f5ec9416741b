package io.petrel.broker.routing;

import io.petrel.api.Qos;
import io.petrel.broker.protocol.EncodedPublish;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * One shared subscription group: it sits in the subscription trie as a single subscriber and hands
 * each message to one member, in turn, preferring members that are online.
 *
 * <p>Threads: {@link #deliver} runs on publisher threads without a lock; the member array is copied
 * on change by {@link SharedSubscriptions} under its lock and published with one volatile write.
 */
public final class SharedGroup implements Subscriber {

    /** A member and what it was granted. */
    record Member(Subscriber subscriber, Grant grant) {
    }

    private static final Member[] NO_MEMBERS = new Member[0];

    private final ShareName name;
    private final DeliveryGate gate;
    private volatile Member[] members = NO_MEMBERS;
    private int nextMember;

    SharedGroup(ShareName name, DeliveryGate gate) {
        this.name = name;
        this.gate = gate;
    }

    @Override
    public String name() {
        return ShareName.PREFIX + name.group() + '/' + name.filter();
    }

    @Override
    public void deliver(EncodedPublish publish, Delivery delivery) {
        offerExcept(publish, delivery.qos(), null);
    }

    /**
     * Hands a message to one member, like {@link #deliver}, and returns the member's stage (see
     * {@link DeliveryGate#deliver}): it completes later while the member waits for a store write or
     * for room in its queue.
     */
    public CompletableFuture<Void> offer(EncodedPublish publish, Delivery delivery) {
        CompletableFuture<Void> handedOver = offerExcept(publish, delivery.qos(), null);
        return handedOver == null ? DeliveryGate.SETTLED : handedOver;
    }

    /**
     * Hands a message to one member other than {@code excluded}, at the lower of {@code qos} and that
     * member's grant. Returns false if the group has no other member.
     */
    public boolean deliverExcept(EncodedPublish publish, Qos qos, Subscriber excluded) {
        return offerExcept(publish, qos, excluded) != null;
    }

    /** Returns the picked member's stage, or null if the group has no member other than {@code excluded}. */
    private CompletableFuture<Void> offerExcept(EncodedPublish publish, Qos qos, Subscriber excluded) {
        Member member = pick(excluded);
        if (member == null) {
            return null;
        }
        Grant grant = member.grant();
        int[] ids = grant.subscriptionId() == 0 ? Delivery.NO_SUBSCRIPTION_IDS : new int[] {grant.subscriptionId()};
        Delivery delivery = Delivery.of(qos.min(grant.qos()), false, ids);
        if (gate == null) {
            return DeliveryGate.handOver(member.subscriber(), publish, delivery, this);
        }
        return gate.deliver(member.subscriber(), publish, delivery, this);
    }

    private Member pick(Subscriber excluded) {
        Member[] current = members;
        int count = current.length;
        if (count == 0) {
            return null;
        }
        // A benign race on the rotation counter only changes which member goes next.
        int start = Math.floorMod(nextMember++, count);
        Member fallback = null;
        for (int i = 0; i < count; i++) {
            Member candidate = current[(start + i) % count];
            if (candidate.subscriber() == excluded) {
                continue;
            }
            if (candidate.subscriber().isOnline()) {
                return candidate;
            }
            if (fallback == null) {
                fallback = candidate;
            }
        }
        return fallback;
    }

    /** Adds or replaces a member; returns true if it is new. Called under the registry lock. */
    boolean put(Subscriber subscriber, Grant grant) {
        Member[] current = members;
        for (int i = 0; i < current.length; i++) {
            if (current[i].subscriber() == subscriber) {
                Member[] copy = current.clone();
                copy[i] = new Member(subscriber, grant);
                members = copy;
                return false;
            }
        }
        Member[] copy = Arrays.copyOf(current, current.length + 1);
        copy[current.length] = new Member(subscriber, grant);
        members = copy;
        return true;
    }

    /** Removes a member; returns true if it was one. Called under the registry lock. */
    boolean remove(Subscriber subscriber) {
        Member[] current = members;
        for (int i = 0; i < current.length; i++) {
            if (current[i].subscriber() == subscriber) {
                Member[] copy = new Member[current.length - 1];
                System.arraycopy(current, 0, copy, 0, i);
                System.arraycopy(current, i + 1, copy, i, current.length - i - 1);
                members = copy;
                return true;
            }
        }
        return false;
    }

    boolean isEmpty() {
        return members.length == 0;
    }
}
