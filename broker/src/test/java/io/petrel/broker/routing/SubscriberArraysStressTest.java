package io.petrel.broker.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Readers match while one writer moves the subscriber arrays of an exact, a {@code +} and a {@code #}
 * filter back and forth across the 32-pair and 16-pair thresholds. Each subscriber belongs to one
 * filter, and the writer brackets every change of a subscriber with a sequence number, so a reader
 * knows which subscribers were present, and with which value, for its whole match.
 */
class SubscriberArraysStressTest {

    private static final String[] FILTERS = {"fleet/truck/7", "fleet/+/7", "fleet/#"};
    private static final String TOPIC = "fleet/truck/7";
    private static final int SUBSCRIBERS_PER_FILTER = 80;
    private static final int COUNT = FILTERS.length * SUBSCRIBERS_PER_FILTER;
    private static final int MAX_WRITER_ROUNDS = 2_000_000;
    private static final long MAX_WRITER_SECONDS = 8;

    /** One subscriber of one filter, compared with {@code equals}, so a new but equal object is the same subscriber. */
    private record Sub(int filter, int id) {

        int index() {
            return filter * SUBSCRIBERS_PER_FILTER + id;
        }
    }

    /** A value that names its subscriber, so a reader notices a value taken from another pair. */
    private record Value(Sub owner, long version) {
    }

    private final SubscriptionTrie<Sub, Value> trie = new SubscriptionTrie<>();
    /** Per subscriber: even while no change is in progress, odd during one. */
    private final AtomicLongArray sequence = new AtomicLongArray(COUNT);
    /** Per subscriber: the version of its current value, or -1 while it is not subscribed. */
    private final AtomicLongArray current = new AtomicLongArray(COUNT);
    private final CountDownLatch writerDone = new CountDownLatch(1);
    private final AtomicReference<String> problem = new AtomicReference<>();
    private final AtomicLong matchCount = new AtomicLong();
    private final AtomicLong checkedPresences = new AtomicLong();
    /** How often the writer saw 0, 1, 2 or 3 large arrays. */
    private final long[] largeArraySamples = new long[FILTERS.length + 1];

    @Test
    void readersSeeConsistentSubscribersAcrossThresholds() throws InterruptedException {
        for (int i = 0; i < COUNT; i++) {
            current.set(i, -1);
        }
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch readersDone = new CountDownLatch(2);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int r = 0; r < 2; r++) {
            boolean slow = r == 1;
            Thread reader = new Thread(() -> {
                try {
                    start.await();
                    matchUntilWriterDone(slow);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    readersDone.countDown();
                }
            }, "stress-reader-" + r);
            reader.start();
        }
        Thread writer = new Thread(() -> {
            try {
                start.await();
                changeSubscribers();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            } finally {
                writerDone.countDown();
            }
        }, "stress-writer");
        writer.start();

        start.countDown();
        assertTrue(writerDone.await(MAX_WRITER_SECONDS + 30, TimeUnit.SECONDS), "writer finished");
        assertTrue(readersDone.await(30, TimeUnit.SECONDS), "readers finished");
        assertNull(failure.get());
        assertNull(problem.get());
        assertTrue(matchCount.get() > 0, "readers matched while the writer changed the arrays");
        assertTrue(checkedPresences.get() > 0, "readers checked subscribers present for a whole match");
        String samples = "samples by number of large arrays: " + Arrays.toString(largeArraySamples);
        assertTrue(largeArraySamples[0] > 0, "all arrays small at times, " + samples);
        assertTrue(largeArraySamples[FILTERS.length] > 0, "all arrays large at times, " + samples);

        for (int i = 0; i < COUNT; i++) {
            Sub sub = new Sub(i / SUBSCRIBERS_PER_FILTER, i % SUBSCRIBERS_PER_FILTER);
            trie.remove(FILTERS[sub.filter()], sub);
        }
        assertEquals(0, trie.size());
        assertEquals(0, trie.largeSubscriberArrayCount());
    }

    /**
     * Subscribes, unsubscribes, resubscribes at once and replaces values. Each filter's target size sweeps
     * between 0 and 80 at its own pace, so its array crosses 16 and 32 pairs often.
     */
    private void changeSubscribers() {
        Random random = new Random(20_261_205);
        int[] target = new int[FILTERS.length];
        int[] step = {1, 1, 1};
        int[] live = new int[FILTERS.length];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(MAX_WRITER_SECONDS);
        for (int round = 0; round < MAX_WRITER_ROUNDS && System.nanoTime() < deadline; round++) {
            int filter = random.nextInt(FILTERS.length);
            if (random.nextInt(8) == 0) {
                target[filter] += step[filter];
                if (target[filter] >= SUBSCRIBERS_PER_FILTER || target[filter] <= 0) {
                    step[filter] = -step[filter];
                }
            }
            // A new object each time: the trie compares with equals, and a returning subscriber is equal.
            Sub sub = new Sub(filter, random.nextInt(SUBSCRIBERS_PER_FILTER));
            int i = sub.index();
            boolean present = current.get(i) >= 0;
            int kind = random.nextInt(4);
            boolean replace = present && kind == 0;
            boolean resubscribe = present && kind == 1; // as a client that unsubscribes and subscribes again
            boolean add = !present && live[filter] < target[filter];
            boolean remove = present && !replace && !resubscribe && live[filter] > target[filter];
            if (!replace && !resubscribe && !add && !remove) {
                continue;
            }
            sequence.incrementAndGet(i);
            if (resubscribe) {
                trie.remove(FILTERS[filter], sub);
                trie.put(FILTERS[filter], sub, new Value(sub, round));
                current.set(i, round);
            } else if (remove) {
                trie.remove(FILTERS[filter], sub);
                current.set(i, -1);
                live[filter]--;
            } else {
                trie.put(FILTERS[filter], sub, new Value(sub, round));
                current.set(i, round);
                if (add) {
                    live[filter]++;
                }
            }
            sequence.incrementAndGet(i);
            if (round % 64 == 0) {
                largeArraySamples[trie.largeSubscriberArrayCount()]++;
            }
        }
    }

    /**
     * Matches until the writer is done and records the first violation in {@link #problem}. A slow
     * reader yields at each pair, so that many changes land inside one match.
     */
    private void matchUntilWriterDone(boolean slow) {
        long[] sequenceBefore = new long[COUNT];
        long[] versionBefore = new long[COUNT];
        while (writerDone.getCount() > 0 && problem.get() == null) {
            for (int i = 0; i < COUNT; i++) {
                sequenceBefore[i] = sequence.get(i);
                versionBefore[i] = current.get(i);
            }
            int[] visits = new int[COUNT];
            long[] versionSeen = new long[COUNT];
            trie.match(TOPIC, (subscriber, value) -> {
                if (value == null) {
                    problem.compareAndSet(null, "no value for " + subscriber);
                    return;
                }
                if (!value.owner().equals(subscriber)) {
                    problem.compareAndSet(null, subscriber + " visited with the value of " + value.owner());
                }
                visits[subscriber.index()]++;
                versionSeen[subscriber.index()] = value.version();
                if (slow) {
                    Thread.yield();
                }
            });
            for (int i = 0; i < COUNT; i++) {
                checkVisits(i, visits[i], versionSeen[i], sequenceBefore[i], versionBefore[i]);
            }
            matchCount.incrementAndGet();
        }
    }

    private void checkVisits(int subscriber, int visits, long versionSeen, long sequenceBefore, long versionBefore) {
        if (visits > 1) {
            problem.compareAndSet(null, "subscriber " + subscriber + " visited " + visits + " times in one filter");
        }
        long sequenceAfter = sequence.get(subscriber);
        if (sequenceBefore != sequenceAfter || (sequenceAfter & 1) != 0) {
            return; // changed during the match, so either outcome is allowed
        }
        if (versionBefore < 0) {
            if (visits > 0) {
                problem.compareAndSet(null, "subscriber " + subscriber + " visited although absent for the whole match");
            }
            return;
        }
        checkedPresences.incrementAndGet();
        if (visits == 0) {
            problem.compareAndSet(null, "subscriber " + subscriber + " missed although present for the whole match");
        } else if (versionSeen != versionBefore) {
            problem.compareAndSet(null, "subscriber " + subscriber + " had value version " + versionSeen
                    + ", expected " + versionBefore);
        }
    }
}
