package io.petrel.broker.local;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An unbounded linked FIFO queue for many producers and one consumer at a time. An offer is one
 * atomic swap of the tail and one release store, and a poll needs no atomic instruction, whereas a
 * {@link java.util.concurrent.ConcurrentLinkedQueue} retries compare-and-set loops on both sides.
 *
 * <p>Threads: any thread may call {@link #offer}. {@link #poll} and {@link #isEmpty} must not run
 * concurrently with each other. A consumer that changes threads hands over through an atomic
 * update of the subscription's drain state, or under its lock, which orders its reads of
 * {@code head}.
 *
 * <p>An offer that has swapped the tail but not yet linked its node already counts: {@code isEmpty}
 * returns false, and {@code poll} waits for the link. Because the swap is an atomic read-modify-write
 * and {@code isEmpty} reads the tail with volatile semantics, a consumer that writes a volatile
 * variable and then finds the queue empty, and a producer that offers and then reads that variable,
 * cannot both miss the other's write. Publishers rely on this to skip waking a consumer.
 *
 * @param <E> the element type
 */
final class DeliveryQueue<E> {

    /** Busy polls for a pending link before {@link #awaitLink} yields the thread between polls. */
    private static final int LINK_SPINS = 100;
    private static final VarHandle TAIL;
    private static final VarHandle NEXT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            TAIL = lookup.findVarHandle(DeliveryQueue.class, "tail", Node.class);
            NEXT = lookup.findVarHandle(Node.class, "next", Node.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The node before the first element: a sentinel whose value was taken. Consumer only. */
    private Node<E> head;
    /** The last node; producers swap it through {@link #TAIL}. */
    private volatile Node<E> tail;

    DeliveryQueue() {
        Node<E> sentinel = new Node<>(null);
        head = sentinel;
        tail = sentinel;
    }

    /** Appends {@code element}, which must not be null. Lock-free; any thread. */
    @SuppressWarnings("unchecked")
    void offer(E element) {
        Node<E> node = new Node<>(element);
        Node<E> previous = (Node<E>) TAIL.getAndSet(this, node);
        NEXT.setRelease(previous, node);
    }

    /**
     * Removes and returns the first element, or returns null if the queue is empty. Waits for a
     * producer that swapped the tail to link its node. Consumer only.
     */
    @SuppressWarnings("unchecked")
    E poll() {
        Node<E> first = (Node<E>) NEXT.getAcquire(head);
        if (first == null) {
            if (tail == head) {
                return null;
            }
            first = awaitLink();
        }
        E element = first.value;
        first.value = null; // the node becomes the sentinel; do not keep the element alive
        head = first;
        return element;
    }

    /** Returns true if no element was offered and not polled. Consumer only. */
    boolean isEmpty() {
        return tail == head;
    }

    /** Waits for the producer between its swap of the tail and its link; a few instructions unless it is preempted. */
    @SuppressWarnings("unchecked")
    private Node<E> awaitLink() {
        Node<E> first;
        for (int spins = 0; (first = (Node<E>) NEXT.getAcquire(head)) == null; spins++) {
            if (spins < LINK_SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        return first;
    }

    private static final class Node<E> {
        E value;
        @SuppressWarnings("unused")
        volatile Node<E> next;

        Node(E value) {
            this.value = value;
        }
    }
}
