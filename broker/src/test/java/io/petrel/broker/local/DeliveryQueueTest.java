package io.petrel.broker.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

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
}
