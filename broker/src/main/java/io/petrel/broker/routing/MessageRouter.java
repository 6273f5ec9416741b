package io.petrel.broker.routing;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.retained.RetainedIndex;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Routes a message to its subscribers: updates the retained index, matches the subscription trie
 * without a lock, merges several matching filters of one subscriber into one delivery at the highest
 * granted QoS, and hands each subscriber the shared {@link EncodedPublish}.
 *
 * <p>Subscribers with a bounded queue ({@link BoundedSubscriber}) may make a QoS 1 or 2 delivery wait
 * for room; {@link #routeWithBackpressure} reports those deliveries so that the publisher can hold
 * back its acknowledgement until they are queued.
 *
 * <p>Thread-safe: publishers on any thread call {@link #route} concurrently.
 */
public final class MessageRouter {

    private static final CompletionStage<Void> NOTHING_PENDING = CompletableFuture.completedStage(null);

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
        CompletableFuture<Void> offer(EncodedPublish publish, Qos qos, boolean retainFlag);
    }

    /**
     * The result of routing one message.
     *
     * @param matched            subscribers the message was handed to
     * @param waitingForRoom     of those, deliveries that wait for room in a full bounded queue (or,
     *                           when an open circuit sent them to the dead-letter store, for the
     *                           store); a network publisher withholds PUBACK (QoS 1) or PUBREC (QoS 2)
     *                           until {@code allQueued} completes
     * @param allQueued          completes when every waiting delivery is queued, at once when none
     *                           waits; fails with the {@code BrokerException} of the first delivery
     *                           that was refused or timed out, the others still completing on their own
     */
    public record RouteOutcome(int matched, int waitingForRoom, CompletionStage<Void> allQueued) {
    }

    private final SubscriptionTrie<Subscriber, Grant> trie;
    private final RetainedIndex retained;
    private final ThreadLocal<MatchCollector> collectors = ThreadLocal.withInitial(MatchCollector::new);

    /** Creates a router over the given subscription trie and retained index. */
    public MessageRouter(SubscriptionTrie<Subscriber, Grant> trie, RetainedIndex retained) {
        this.trie = trie;
        this.retained = retained;
    }

    /**
     * Routes one message without tracking deliveries that wait for room; see
     * {@link #routeWithBackpressure}. A waiting delivery still enters its queue when room frees up,
     * or is dropped and counted when the publish timeout passes.
     *
     * @return the number of subscribers the message was handed to
     */
    public int route(Message message) {
        return routeWithBackpressure(message).matched();
    }

    /**
     * Routes one message. A retained message with an empty payload clears the topic's retained
     * message; any other retained message replaces it. Live deliveries carry the retain flag 0.
     *
     * @return how many subscribers got the message and how many of those deliveries wait for room
     */
    public RouteOutcome routeWithBackpressure(Message message) {
        if (message.retain()) {
            if (message.payloadSize() == 0) {
                retained.remove(message.topic());
            } else {
                retained.put(message);
            }
        }
        MatchCollector collector = collectors.get();
        if (collector.inUse) {
            // A handler running inline on this thread published again: use a fresh collector.
            collector = new MatchCollector();
        }
        collector.inUse = true;
        EncodedPublish publish = new EncodedPublish(message);
        try {
            trie.match(message.topic(), collector);
            int count = 0;
            int waitingForRoom = 0;
            List<CompletableFuture<Void>> unsettled = null;
            for (Map.Entry<Subscriber, Qos> match : collector.matches.entrySet()) {
                Subscriber subscriber = match.getKey();
                Qos qos = message.qos().min(match.getValue());
                if (subscriber instanceof BoundedSubscriber bounded) {
                    CompletableFuture<Void> queued = bounded.offer(publish, qos, false);
                    if (!queued.isDone()) {
                        waitingForRoom++;
                    }
                    if (!queued.isDone() || queued.isCompletedExceptionally()) {
                        if (unsettled == null) {
                            unsettled = new ArrayList<>(2);
                        }
                        unsettled.add(queued);
                    }
                } else {
                    subscriber.deliver(publish, qos, false);
                }
                count++;
            }
            if (unsettled == null) {
                return new RouteOutcome(count, 0, NOTHING_PENDING);
            }
            return new RouteOutcome(count, waitingForRoom, allOf(unsettled));
        } finally {
            collector.matches.clear();
            collector.inUse = false;
            publish.releaseUser();
        }
    }

    /**
     * Sends the retained messages matching {@code filter} to a subscriber that just subscribed,
     * with the retain flag set.
     */
    public void deliverRetained(String filter, Subscriber subscriber, Qos granted) {
        retained.match(filter, message -> {
            EncodedPublish publish = new EncodedPublish(message);
            try {
                subscriber.deliver(publish, message.qos().min(granted), true);
            } finally {
                publish.releaseUser();
            }
        });
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

    /** Returns the number of retained messages. */
    public int retainedCount() {
        return retained.size();
    }

    /** Collects the matches of one route call, keeping the highest granted QoS per subscriber. */
    private static final class MatchCollector implements BiConsumer<Subscriber, Grant> {

        private final Map<Subscriber, Qos> matches = new IdentityHashMap<>();
        private boolean inUse;

        @Override
        public void accept(Subscriber subscriber, Grant grant) {
            matches.merge(subscriber, grant.qos(), Qos::max);
        }
    }
}
