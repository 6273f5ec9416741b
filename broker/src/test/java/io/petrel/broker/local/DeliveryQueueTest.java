package io.petrel.broker.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import sun.misc.Unsafe;

class DeliveryQueueTest {

    @Test
    void pollReturnsElementsInOfferOrder() {
        DeliveryQueue<String> queue = new DeliveryQueue<>();
        assertTrue(queue.isEmpty());
        assertNull(queue.poll());

        queue.offer("a");
        queue.offer("b");

        assertFalse(queue.isEmpty());
        assertEquals("a", queue.poll());
        assertEquals("b", queue.poll());
        assertNull(queue.poll());
        assertTrue(queue.isEmpty());
    }

    @Test
    void concurrentProducersLoseNothingAndKeepTheirOrder() throws InterruptedException {
        DeliveryQueue<long[]> queue = new DeliveryQueue<>();
        int producers = 3;
        int perProducer = 200_000;
        CountDownLatch start = new CountDownLatch(1);
        for (int p = 0; p < producers; p++) {
            int producer = p;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int sequence = 0; sequence < perProducer; sequence++) {
                    queue.offer(new long[] {producer, sequence});
                }
            }, "delivery-queue-producer-" + p);
            thread.setDaemon(true);
            thread.start();
        }

        start.countDown();
        long[] nextSequence = new long[producers];
        int outOfOrder = 0;
        int received = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (received < producers * perProducer && System.nanoTime() < deadline) {
            long[] element = queue.poll();
            if (element == null) {
                Thread.onSpinWait();
                continue;
            }
            int producer = (int) element[0];
            if (element[1] != nextSequence[producer]) {
                outOfOrder++;
            }
            nextSequence[producer] = element[1] + 1;
            received++;
        }

        assertEquals(producers * perProducer, received);
        assertEquals(0, outOfOrder);
        assertTrue(queue.isEmpty());
    }

    @Test
    void tryReserveStopsAtCapacity() {
        DeliveryQueue<String> queue = new DeliveryQueue<>();

        assertTrue(queue.tryReserve(2));
        assertTrue(queue.tryReserve(2));
        assertFalse(queue.tryReserve(2));
        assertEquals(2, queue.reserved());

        queue.reserve(); // beyond the capacity
        assertEquals(3, queue.reserved());
        queue.free(2);
        assertEquals(1, queue.reserved());
        assertTrue(queue.tryReserve(2));
        assertFalse(queue.tryReserve(2));
    }

    @Test
    void concurrentReservationsNeverExceedCapacity() throws InterruptedException {
        DeliveryQueue<String> queue = new DeliveryQueue<>();
        int capacity = 1_000;
        int[] reservedByThread = new int[4];
        Thread[] threads = new Thread[reservedByThread.length];
        for (int t = 0; t < threads.length; t++) {
            int index = t;
            threads[t] = new Thread(() -> {
                for (int i = 0; i < capacity; i++) {
                    if (queue.tryReserve(capacity)) {
                        reservedByThread[index]++;
                    }
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }

        int total = 0;
        for (int count : reservedByThread) {
            total += count;
        }
        assertEquals(capacity, total);
        assertEquals(capacity, queue.reserved());
    }

    @Test
    void headAndTailLieOnSeparateCacheLines() throws ReflectiveOperationException {
        Unsafe unsafe = unsafe();
        long head = unsafe.objectFieldOffset(DeliveryQueueHead.class.getDeclaredField("head"));
        long tail = unsafe.objectFieldOffset(DeliveryQueueTail.class.getDeclaredField("tail"));
        long reserved = unsafe.objectFieldOffset(DeliveryQueueTail.class.getDeclaredField("reserved"));
        long firstSuffixByte = unsafe.objectFieldOffset(DeliveryQueueSuffix.class.getDeclaredField("r000"));
        long lastPadding = unsafe.objectFieldOffset(DeliveryQueueSuffix.class.getDeclaredField("r127"));
        int padding = DeliveryQueuePrefix.PADDING_BYTES;

        assertTrue(head >= padding, "head at offset " + head + ", expected at least " + padding);
        assertTrue(tail - head >= padding, "head at " + head + " and tail at " + tail + " are too close");
        assertTrue(reserved - head >= padding, "head at " + head + " and reserved at " + reserved + " are too close");
        assertTrue(Math.abs(reserved - tail) < 64, "tail at " + tail + " and reserved at " + reserved
                + " should share a cache line");
        assertTrue(firstSuffixByte > Math.max(tail, reserved), "the padding after the tail starts at "
                + firstSuffixByte + ", before the tail at " + tail + " or reserved at " + reserved);
        assertTrue(lastPadding - Math.max(tail, reserved) >= padding,
                "the padding after the tail ends at " + lastPadding);
    }

    private static Unsafe unsafe() throws ReflectiveOperationException {
        Field field = Unsafe.class.getDeclaredField("theUnsafe");
        field.setAccessible(true);
        return (Unsafe) field.get(null);
    }
}
