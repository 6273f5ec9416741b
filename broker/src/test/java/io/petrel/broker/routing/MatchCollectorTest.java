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
import org.junit.jupiter.api.Test;

class MatchCollectorTest {

    private static final Message QOS2_RETAINED = Message.builder("a/b").payload("x").qos(Qos.EXACTLY_ONCE)
            .retain(true).build();

    private final MatchCollector collector = new MatchCollector();

    @Test
    void collectorMergesGrantsOfOneSubscriber() {
        Subscriber subscriber = new NamedSubscriber("s");
        collector.start(null);

        collector.accept(subscriber, grant(Qos.AT_MOST_ONCE, false, 7));
        collector.accept(subscriber, grant(Qos.AT_LEAST_ONCE, true, 9));
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

        for (Subscriber subscriber : subscribers) {
            collector.accept(subscriber, grant(Qos.AT_MOST_ONCE, false, 0));
        }
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
        for (Subscriber subscriber : subscribers) {
            collector.accept(subscriber, grant(Qos.EXACTLY_ONCE, true, 3));
        }
        collector.clear();

        collector.start(null);
        for (int i = 0; i < 20; i++) {
            collector.accept(subscribers[i], grant(Qos.AT_MOST_ONCE, false, 0));
        }

        assertEquals(20, collector.size());
        assertEquals(Qos.AT_MOST_ONCE, collector.delivery(19, QOS2_RETAINED).qos());
        assertFalse(collector.delivery(19, QOS2_RETAINED).retain());
        assertEquals(0, collector.delivery(19, QOS2_RETAINED).subscriptionIds().length);
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
        collector.accept(subscriber, grant(Qos.AT_LEAST_ONCE, false, 0));

        assertSame(Delivery.of(Qos.AT_LEAST_ONCE, false), collector.delivery(0, QOS2_RETAINED));
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
