package io.petrel.broker.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.RetainHandling;
import io.petrel.broker.protocol.EncodedPublish;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class MatchCollectorTest {

    private static final Message QOS2_RETAINED = Message.builder("a/b").payload("x").qos(Qos.EXACTLY_ONCE)
            .retain(true).build();

    private static final int[][] FILTER_RANGES = {{0, 5}, {0, 20}, {10, 25}, {22, 30}};

    private final MatchCollector collector = new MatchCollector();

    @Test
    void collectorMergesGrantsOfOneSubscriber() {
        Subscriber subscriber = new NamedSubscriber("s");
        collector.start(null);

        collector.startFilter();
        collector.accept(subscriber, grant(Qos.AT_MOST_ONCE, false, 7));
        collector.startFilter();
        collector.accept(subscriber, grant(Qos.AT_LEAST_ONCE, true, 9));
        collector.startFilter();
        collector.accept(subscriber, grant(Qos.AT_MOST_ONCE, false, 7));

        assertEquals(1, collector.size());
        Delivery delivery = collector.delivery(0, QOS2_RETAINED);
        assertEquals(Qos.AT_LEAST_ONCE, delivery.qos());
        assertTrue(delivery.retain());
        assertArrayEquals(new int[] {7, 9}, delivery.subscriptionIds());
    }

    @Test
    void collectorMergesManySubscribersThroughIndexTable() {
        Subscriber[] subscribers = new Subscriber[1_000];
        for (int i = 0; i < subscribers.length; i++) {
            subscribers[i] = new NamedSubscriber("s" + i);
        }
        collector.start(null);

        collector.startFilter();
        for (Subscriber subscriber : subscribers) {
            collector.accept(subscriber, grant(Qos.AT_MOST_ONCE, false, 0));
        }
        collector.startFilter();
        for (int i = subscribers.length - 1; i >= 0; i -= 2) {
            collector.accept(subscribers[i], grant(Qos.EXACTLY_ONCE, false, 0));
        }

        assertEquals(subscribers.length, collector.size());
        Set<Subscriber> distinct = new HashSet<>();
        for (int i = 0; i < collector.size(); i++) {
            distinct.add(collector.subscriber(i));
            Qos expected = i % 2 == 1 ? Qos.EXACTLY_ONCE : Qos.AT_MOST_ONCE;
            assertEquals(expected, collector.delivery(i, QOS2_RETAINED).qos(), "subscriber " + i);
        }
        assertEquals(subscribers.length, distinct.size());
    }

    @Test
    void clearedCollectorForgetsEarlierMatches() {
        Subscriber[] subscribers = new Subscriber[100];
        for (int i = 0; i < subscribers.length; i++) {
            subscribers[i] = new NamedSubscriber("s" + i);
        }
        collector.start(null);
        collector.startFilter();
        for (Subscriber subscriber : subscribers) {
            collector.accept(subscriber, grant(Qos.EXACTLY_ONCE, true, 3));
        }
        collector.clear();

        collector.start(null);
        collector.startFilter();
        for (int i = 0; i < 20; i++) {
            collector.accept(subscribers[i], grant(Qos.AT_MOST_ONCE, false, 0));
        }

        assertEquals(20, collector.size());
        assertEquals(Qos.AT_MOST_ONCE, collector.delivery(19, QOS2_RETAINED).qos());
        assertFalse(collector.delivery(19, QOS2_RETAINED).retain());
        assertEquals(0, collector.delivery(19, QOS2_RETAINED).subscriptionIds().length);
    }

    @Test
    void indexTableHomeSlotsCoverLargeTables() {
        // With home slots only in the first 65,536 slots, the probe runs of a larger table merge into
        // one, and merging the subscribers of two filters takes time quadratic in their number.
        int mask = (1 << 20) - 1;
        int highestSlot = 0;
        for (int i = 0; i < 10_000; i++) {
            int slot = MatchCollector.slotOf(new NamedSubscriber("s" + i), mask);
            assertTrue(slot >= 0, "slot " + slot + " is negative");
            assertTrue(slot <= mask, "slot " + slot + " is beyond the table's last slot " + mask);
            highestSlot = Math.max(highestSlot, slot);
        }

        assertTrue(highestSlot >= 1 << 16, "highest home slot " + highestSlot + " of 10,000 subscribers");
    }

    @Test
    void laterFilterFindsEarlierMatches() {
        // Filter i has the subscribers FILTER_RANGES[i][0] to FILTER_RANGES[i][1] - 1 and identifier
        // i + 1. The second filter passes the linear-search limit, the third adds five subscribers to
        // the index table in place, and the fourth must find those five.
        Subscriber[] subscribers = new Subscriber[30];
        for (int i = 0; i < subscribers.length; i++) {
            subscribers[i] = new NamedSubscriber("s" + i);
        }
        collector.start(null);
        for (int filter = 0; filter < FILTER_RANGES.length; filter++) {
            collector.startFilter();
            for (int i = FILTER_RANGES[filter][0]; i < FILTER_RANGES[filter][1]; i++) {
                collector.accept(subscribers[i], grant(Qos.AT_MOST_ONCE, false, filter + 1));
            }
        }

        assertEquals(subscribers.length, collector.size());
        for (int i = 0; i < collector.size(); i++) {
            Subscriber subscriber = collector.subscriber(i);
            int number = Integer.parseInt(subscriber.name().substring(1));
            assertArrayEquals(filterIds(number), collector.delivery(i, QOS2_RETAINED).subscriptionIds(),
                    subscriber.name());
        }
    }

    @Test
    void trieMatchMergesOverlappingFilters() {
        SubscriptionTrie<Subscriber, Grant> trie = new SubscriptionTrie<>();
        Subscriber[] subscribers = new Subscriber[30];
        for (int i = 0; i < subscribers.length; i++) {
            subscribers[i] = new NamedSubscriber("s" + i);
            trie.put("a/b", subscribers[i], new Grant("a/b", Qos.AT_MOST_ONCE, false, false,
                    RetainHandling.SEND_ON_SUBSCRIBE, 0));
            if (i % 2 == 0) {
                trie.put("a/+", subscribers[i], new Grant("a/+", Qos.AT_LEAST_ONCE, false, false,
                        RetainHandling.SEND_ON_SUBSCRIBE, 0));
            }
            if (i % 3 == 0) {
                trie.put("#", subscribers[i], new Grant("#", Qos.EXACTLY_ONCE, false, false,
                        RetainHandling.SEND_ON_SUBSCRIBE, 0));
            }
        }
        collector.start(null);

        trie.match("a/b", collector);

        assertEquals(subscribers.length, collector.size());
        Set<Subscriber> distinct = new HashSet<>();
        for (int i = 0; i < collector.size(); i++) {
            Subscriber subscriber = collector.subscriber(i);
            distinct.add(subscriber);
            int number = Integer.parseInt(subscriber.name().substring(1));
            assertEquals(highestQos(number), collector.delivery(i, QOS2_RETAINED).qos(), subscriber.name());
        }
        assertEquals(subscribers.length, distinct.size());
    }

    @Test
    void collectorSkipsOwnMessagesUnderNoLocal() {
        Object publisher = new Object();
        Subscriber origin = new NamedSubscriber("origin") {
            @Override
            public boolean isOrigin(Object candidate) {
                return candidate == publisher;
            }
        };
        collector.start(publisher);

        collector.startFilter();
        collector.accept(origin, new Grant("a/b", Qos.AT_LEAST_ONCE, true, false, RetainHandling.SEND_ON_SUBSCRIBE, 0));

        assertEquals(0, collector.size());
    }

    @Test
    void collectorInUseRejectsSecondStart() {
        assertTrue(collector.start(null));

        assertFalse(collector.start(null));
        collector.clear();
        assertTrue(collector.start(null));
    }

    @Test
    void deliveryWithoutIdentifiersIsShared() {
        Subscriber subscriber = new NamedSubscriber("s");
        collector.start(null);
        collector.startFilter();
        collector.accept(subscriber, grant(Qos.AT_LEAST_ONCE, false, 0));

        assertSame(Delivery.of(Qos.AT_LEAST_ONCE, false), collector.delivery(0, QOS2_RETAINED));
    }

    /** Returns the identifiers of the filters of {@link #FILTER_RANGES} that contain subscriber {@code number}. */
    private static int[] filterIds(int number) {
        return IntStream.range(0, FILTER_RANGES.length)
                .filter(filter -> FILTER_RANGES[filter][0] <= number && number < FILTER_RANGES[filter][1])
                .map(filter -> filter + 1)
                .toArray();
    }

    /** Returns the highest QoS that subscriber {@code number} of the trie case holds on a matching filter. */
    private static Qos highestQos(int number) {
        if (number % 3 == 0) {
            return Qos.EXACTLY_ONCE;
        }
        if (number % 2 == 0) {
            return Qos.AT_LEAST_ONCE;
        }
        return Qos.AT_MOST_ONCE;
    }

    private static Grant grant(Qos qos, boolean retainAsPublished, int subscriptionId) {
        return new Grant("a/b", qos, false, retainAsPublished, RetainHandling.SEND_ON_SUBSCRIBE, subscriptionId);
    }

    private static class NamedSubscriber implements Subscriber {
        private final String name;

        NamedSubscriber(String name) {
            this.name = name;
        }

        @Override
        public void deliver(EncodedPublish publish, Delivery delivery) {
        }

        @Override
        public String name() {
            return name;
        }
    }
}
