package io.petrel.broker.local;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An unbounded linked FIFO queue for many producers and one consumer at a time. An offer is one
 * atomic swap of the tail and one release store, and a poll needs no atomic instruction, whereas a
 * {@link java.util.concurrent.ConcurrentLinkedQueue} retries compare-and-set loops on both sides.
 *
 * <p>Threads: any thread may call {@link #offer}. {@link #poll} and {@link #isEmpty} must not run
 * concurrently with each other; a consumer that changes threads hands over through an atomic
 * update (the drain state of the subscription), which orders its reads of {@code head}.
 *
 * <p>An offer that has swapped the tail but not yet linked its node is not visible to the consumer:
 * {@code poll} may return {@code null} (and {@code isEmpty} true) until the offering thread returns
 * from {@code offer}.
 *
 * @param <E> the element type
 */
final class DeliveryQueue<E> {

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
    @SuppressWarnings("unused")
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

    /** Removes and returns the first element, or returns null if none is visible. Consumer only. */
    @SuppressWarnings("unchecked")
    E poll() {
        Node<E> first = (Node<E>) NEXT.getAcquire(head);
        if (first == null) {
            return null;
        }
        E element = first.value;
        first.value = null; // the node becomes the sentinel; do not keep the element alive
        head = first;
        return element;
    }

    /** Returns true if no element is visible to the consumer. Consumer only. */
    boolean isEmpty() {
        return NEXT.getAcquire(head) == null;
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
