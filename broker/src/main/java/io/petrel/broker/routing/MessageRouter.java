package io.petrel.broker.routing;

import io.petrel.api.Message;
import io.petrel.api.RetainHandling;
import io.petrel.api.store.RetainedStore;
import io.petrel.broker.observability.StoreFailureLog;
import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.retained.NoOpRetainedStore;
import io.petrel.broker.retained.RetainedMessages;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Routes a message to its subscribers: updates the retained index, matches the subscription trie
 * without a lock, merges several matching filters of one subscriber into one delivery at the highest
 * granted QoS with all their subscription identifiers, and hands each subscriber the shared
 * {@link EncodedPublish}.
 *
 * <p>Subscribers with a bounded queue ({@link BoundedSubscriber}) may make a QoS 1 or 2 delivery wait
 * for room; {@link #routeWithBackpressure} reports those deliveries so that the publisher can hold
 * back its acknowledgement until they are queued.
 *
 * <p>Thread-safe: publishers on any thread call {@link #route} concurrently.
 */
public final class MessageRouter {

    private static final CompletionStage<Void> NOTHING_PENDING = CompletableFuture.completedStage(null);
    /** The outcomes of routes that left nothing pending, by the number of matched subscribers. */
    private static final RouteOutcome[] SETTLED_OUTCOMES = new RouteOutcome[64];

    static {
        for (int matched = 0; matched < SETTLED_OUTCOMES.length; matched++) {
            SETTLED_OUTCOMES[matched] = new RouteOutcome(matched, 0, NOTHING_PENDING);
        }
    }
    private static final Logger LOG = LoggerFactory.getLogger(MessageRouter.class);

    /**
     * A subscriber whose queue is bounded. A delivery that finds it full is dropped at QoS 0 and made
     * to wait for room at QoS 1 and 2.
     */
    public interface BoundedSubscriber extends Subscriber {

        /**
         * Hands one message to this subscriber, like {@link #deliver}, but reports whether it had to
         * wait. Must not block.
         *
         * @return a completed stage if the message was queued, dropped or otherwise settled at once;
         *         an incomplete one that completes when it entered the queue, or fails with a
         *         {@code BrokerException} if it could not within the broker's publish timeout
         */
        CompletableFuture<Void> offer(EncodedPublish publish, Delivery delivery);
    }

    /**
     * A bounded subscriber that reads only the message of a publish, neither its encodings nor its
     * receive time, such as an in-process subscription. Without a delivery gate, routing hands it the
     * message alone, so a message whose subscribers are all of this kind allocates no
     * {@link EncodedPublish}.
     */
    public interface MessageSubscriber extends BoundedSubscriber {

        /** Hands one message to this subscriber, like {@link #offer(EncodedPublish, Delivery)}. */
        CompletableFuture<Void> offer(Message message, Delivery delivery);
    }

    /**
     * The result of routing one message.
     *
     * @param matched        subscribers the message was handed to
     * @param waitingForRoom of those, deliveries that wait for room in a full bounded queue (or, when
     *                       an open circuit sent them to the dead-letter store, for the store), or for
     *                       the session store to write the message queued for a persistent session.
     *                       A network publisher withholds PUBACK (QoS 1) or PUBREC (QoS 2) until
     *                       {@code allQueued} completes
     * @param allQueued      completes when every waiting delivery is queued and, for a message that
     *                       changes retained state, the retained store has written it; at once when
     *                       nothing waits. Fails with the {@code BrokerException} of the first delivery
     *                       that was refused or timed out, or with the {@link StoreWriteException} of a
     *                       failed store write, the others still completing on their own
     */
    public record RouteOutcome(int matched, int waitingForRoom, CompletionStage<Void> allQueued) {

        /**
         * Returns true if nothing was left pending. {@code allQueued} is then a shared completed stage
         * whose {@code complete} methods throw {@link UnsupportedOperationException}.
         */
        public boolean settled() {
            return allQueued == NOTHING_PENDING;
        }
    }

    /** The origin of messages published through the in-process API. */
    public static final Object LOCAL_PUBLISHER = new Object() {
        @Override
        public String toString() {
            return "in-process publisher";
        }
    };

    private final SubscriptionTrie<Subscriber, Grant> trie;
    private final RetainedMessages retained;
    private final DeliveryGate gate;
    private final RetainedStore retainedStore;
    private final StoreFailureLog storeFailureLog = new StoreFailureLog(LOG, 10, TimeUnit.SECONDS);
    private final ThreadLocal<MatchCollector> collectors = ThreadLocal.withInitial(MatchCollector::new);

    /** Creates a router over the given subscription trie and retained index. */
    public MessageRouter(SubscriptionTrie<Subscriber, Grant> trie, RetainedMessages retained) {
        this(trie, retained, null);
    }

    /**
     * Creates a router that passes every delivery through {@code gate}, or hands it to the
     * subscriber directly when {@code gate} is null.
     */
    public MessageRouter(SubscriptionTrie<Subscriber, Grant> trie, RetainedMessages retained, DeliveryGate gate) {
        this(trie, retained, gate, NoOpRetainedStore.INSTANCE);
    }

    /**
     * Creates a router that also writes every change of retained state to {@code retainedStore}; a
     * publish that changes retained state is reported as queued only once the store wrote it.
     */
    public MessageRouter(SubscriptionTrie<Subscriber, Grant> trie, RetainedMessages retained, DeliveryGate gate,
                         RetainedStore retainedStore) {
        this.trie = trie;
        this.retained = retained;
        this.gate = gate;
        this.retainedStore = retainedStore;
    }

    /**
     * Routes one message. A retained message with an empty payload clears the topic's retained
     * message; any other retained message replaces it. Live deliveries carry the retain flag 0 unless
     * the subscription has the Retain As Published option.
     *
     * @param publisher the origin: the publishing client's session, or {@link #LOCAL_PUBLISHER}
     * @return the number of subscribers the message was handed to
     */
    public int route(Message message, Object publisher) {
        return routeWithBackpressure(message, publisher).matched();
    }

    /**
     * Routes one message like {@link #route} and reports the deliveries that wait for room in a full
     * bounded queue.
     *
     * @return how many subscribers got the message and how many of those deliveries wait for room
     */
    public RouteOutcome routeWithBackpressure(Message message, Object publisher) {
        // Read the clock only for what keeps the time: the retained store and the network encoding.
        // In-process subscribers do not need it.
        long receivedAt = 0;
        CompletableFuture<Void> stored = null;
        if (message.retain()) {
            receivedAt = System.nanoTime();
            stored = storeRetained(message, receivedAt);
        }
        MatchCollector collector = collectors.get();
        if (!collector.start(publisher)) {
            // A handler running inline on this thread published again: use a fresh collector.
            collector = new MatchCollector();
            collector.start(publisher);
        }
        // Created for the first subscriber that needs it.
        EncodedPublish publish = null;
        try {
            trie.match(message.topic(), collector);
            int waitingForRoom = 0;
            List<CompletableFuture<Void>> unsettled = null;
            for (int match = 0; match < collector.size(); match++) {
                Delivery delivery = collector.delivery(match, message);
                Subscriber subscriber = collector.subscriber(match);
                CompletableFuture<Void> queued;
                if (gate == null && subscriber instanceof MessageSubscriber local) {
                    queued = local.offer(message, delivery);
                } else {
                    if (publish == null) {
                        publish = new EncodedPublish(message, message.retain() ? receivedAt : System.nanoTime());
                    }
                    queued = handOver(subscriber, publish, delivery);
                }
                if (!queued.isDone()) {
                    waitingForRoom++;
                }
                if (!queued.isDone() || queued.isCompletedExceptionally()) {
                    unsettled = add(unsettled, queued);
                }
            }
            if (stored != null && (!stored.isDone() || stored.isCompletedExceptionally())) {
                unsettled = add(unsettled, stored);
            }
            int matched = collector.size();
            if (unsettled == null) {
                return matched < SETTLED_OUTCOMES.length ? SETTLED_OUTCOMES[matched]
                        : new RouteOutcome(matched, 0, NOTHING_PENDING);
            }
            return new RouteOutcome(matched, waitingForRoom, allOf(unsettled));
        } finally {
            collector.clear();
            if (publish != null) {
                publish.releaseUser();
            }
        }
    }

    /**
     * Hands a live delivery to a subscriber, through the gate if there is one. Returns a stage like
     * that of {@link BoundedSubscriber#offer}.
     */
    private CompletableFuture<Void> handOver(Subscriber subscriber, EncodedPublish publish, Delivery delivery) {
        if (gate != null) {
            return gate.deliver(subscriber, publish, delivery, null);
        }
        if (subscriber instanceof BoundedSubscriber bounded) {
            return bounded.offer(publish, delivery);
        }
        if (subscriber instanceof SharedMember member) {
            return member.deliverShared(publish, delivery, null);
        }
        if (subscriber instanceof SharedGroup sharedGroup) {
            return sharedGroup.offer(publish, delivery);
        }
        subscriber.deliver(publish, delivery);
        return DeliveryGate.SETTLED;
    }

    /**
     * Sends the retained messages matching the grant's filter to a subscriber that just subscribed,
     * with the retain flag set, as its Retain Handling option allows.
     *
     * @param newSubscription true if the subscriber had no subscription to this filter before
     */
    public void deliverRetained(Subscriber subscriber, Grant grant, boolean newSubscription) {
        RetainHandling handling = grant.retainHandling();
        if (handling == RetainHandling.DO_NOT_SEND
                || (handling == RetainHandling.SEND_IF_NEW_SUBSCRIPTION && !newSubscription)) {
            return;
        }
        int[] ids = grant.subscriptionId() == 0 ? Delivery.NO_SUBSCRIPTION_IDS : new int[] {grant.subscriptionId()};
        retained.match(grant.filter(), System.nanoTime(), entry -> {
            Message message = entry.message();
            EncodedPublish publish = new EncodedPublish(message, entry.receivedAtNanos());
            try {
                Delivery delivery = Delivery.onSubscribe(message.qos().min(grant.qos()), ids);
                if (gate == null) {
                    subscriber.deliver(publish, delivery);
                } else {
                    gate.deliver(subscriber, publish, delivery, null);
                }
            } finally {
                publish.releaseUser();
            }
        });
    }

    /**
     * Updates the retained index at once and hands the change to the retained store; returns the
     * store's stage.
     */
    private CompletableFuture<Void> storeRetained(Message message, long receivedAtNanos) {
        CompletionStage<Void> stage;
        // NOTE: two publishers racing on one topic may update the index and the store in different
        // orders, so after a restart the other one of the two messages can be the retained one.
        if (message.payloadSize() == 0) {
            retained.remove(message.topic());
            stage = retainedStore.clear(message.topic());
        } else {
            retained.put(message, receivedAtNanos);
            stage = retainedStore.set(message, System.currentTimeMillis());
        }
        CompletableFuture<Void> future = stage.toCompletableFuture();
        if (future.isDone() && !future.isCompletedExceptionally()) {
            return future;
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        future.whenComplete((ignored, error) -> {
            if (error == null) {
                result.complete(null);
                return;
            }
            storeFailureLog.failed("store the retained message of topic '" + message.topic() + "' in " + retainedStore,
                    "its publisher gets a failure", error);
            result.completeExceptionally(StoreWriteException.retained(message.topic(), error));
        });
        return result;
    }

    private static List<CompletableFuture<Void>> add(List<CompletableFuture<Void>> list,
                                                     CompletableFuture<Void> stage) {
        List<CompletableFuture<Void>> result = list == null ? new ArrayList<>(2) : list;
        result.add(stage);
        return result;
    }

    /** Returns a new stage that completes when all complete, or fails with the first failure's cause. */
    private static CompletionStage<Void> allOf(List<CompletableFuture<Void>> stages) {
        CompletableFuture<Void> all = new CompletableFuture<>();
        AtomicInteger remaining = new AtomicInteger(stages.size());
        for (CompletableFuture<Void> stage : stages) {
            stage.whenComplete((ignored, error) -> {
                if (error != null) {
                    all.completeExceptionally(error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error);
                } else if (remaining.decrementAndGet() == 0) {
                    all.complete(null);
                }
            });
        }
        return all;
    }

    /** Removes the retained messages whose MQTT 5.0 expiry interval has passed; returns how many. */
    public int removeExpiredRetained() {
        return retained.removeExpired(System.nanoTime());
    }

    /** Returns the number of retained messages. */
    public int retainedCount() {
        return retained.size();
    }
}
