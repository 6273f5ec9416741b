package io.petrel.broker.routing;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.retained.RetainedIndex;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Routes a message to its subscribers: updates the retained index, matches the subscription trie
 * without a lock, merges several matching filters of one subscriber into one delivery at the highest
 * granted QoS, and hands each subscriber the shared {@link EncodedPublish}.
 *
 * <p>Thread-safe: publishers on any thread call {@link #route} concurrently.
 */
public final class MessageRouter {

    private final SubscriptionTrie<Subscriber, Grant> trie;
    private final RetainedIndex retained;
    private final ThreadLocal<MatchCollector> collectors = ThreadLocal.withInitial(MatchCollector::new);

    /** Creates a router over the given subscription trie and retained index. */
    public MessageRouter(SubscriptionTrie<Subscriber, Grant> trie, RetainedIndex retained) {
        this.trie = trie;
        this.retained = retained;
    }

    /**
     * Routes one message. A retained message with an empty payload clears the topic's retained
     * message; any other retained message replaces it. Live deliveries carry the retain flag 0.
     *
     * @return the number of subscribers the message was handed to
     */
    public int route(Message message) {
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
            for (Map.Entry<Subscriber, Qos> match : collector.matches.entrySet()) {
                match.getKey().deliver(publish, message.qos().min(match.getValue()), false);
                count++;
            }
            return count;
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
