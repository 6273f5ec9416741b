package io.petrel.broker.local;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An unbounded linked FIFO queue for many producers and one consumer at a time. An offer is one
 * atomic swap of the tail and one release store, and a poll needs no atomic instruction, whereas a
 * {@link java.util.concurrent.ConcurrentLinkedQueue} retries compare-and-set loops on both sides.
 * Beside its tail the queue keeps a count of reserved slots, which its owner bounds: see
 * {@link #tryReserve}.
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
 * <p>Layout: the consumer's {@code head} lies on cache lines of its own, and so do the producers'
 * {@code tail} and reservation count, with {@value DeliveryQueuePrefix#PADDING_BYTES} bytes of
 * padding before, between and after them. That also covers the pairs of lines that Intel processors
 * prefetch together. Otherwise every poll, which writes the head, would take the tail's line away from
 * the producer's core, and every offer would take it back. The reservation count shares the tail's
 * line because producers change both on every offer. HotSpot lays out a superclass's fields before a
 * subclass's, and byte fields leave no gap that a subclass field could fill, so the padding classes
 * below fix the order. With this layout, in-process publishing 1 to 1 on 2 CPUs went from 3.2 to 5.4
 * M messages per second to 6.5 to 8.0 M (docs/benchmarks.md).
 *
 * @param <E> the element type
 */
final class DeliveryQueue<E> extends DeliveryQueueSuffix<E> {

    /** Busy polls for a pending link before {@link #awaitLink} yields the thread between polls. */
    private static final int LINK_SPINS = 100;
    private static final VarHandle TAIL;
    private static final VarHandle RESERVED;
    private static final VarHandle NEXT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            TAIL = lookup.findVarHandle(DeliveryQueueTail.class, "tail", Node.class);
            RESERVED = lookup.findVarHandle(DeliveryQueueTail.class, "reserved", int.class);
            NEXT = lookup.findVarHandle(Node.class, "next", Node.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

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

    /**
     * Reserves one slot if fewer than {@code capacity} are reserved. The owner decides what a slot
     * stands for and frees it with {@link #free}. Lock-free; any thread.
     *
     * @return true if a slot was reserved
     */
    boolean tryReserve(int capacity) {
        while (true) {
            int current = reserved;
            if (current >= capacity) {
                return false;
            }
            if (RESERVED.compareAndSet(this, current, current + 1)) {
                return true;
            }
        }
    }

    /** Reserves one slot whatever the count. Lock-free; any thread. */
    void reserve() {
        RESERVED.getAndAdd(this, 1);
    }

    /** Frees {@code count} reserved slots. Lock-free; any thread. */
    void free(int count) {
        RESERVED.getAndAdd(this, -count);
    }

    /** Returns the number of reserved slots. */
    int reserved() {
        return reserved;
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

    static final class Node<E> {
        E value;
        @SuppressWarnings("unused")
        volatile Node<E> next;

        Node(E value) {
            this.value = value;
        }
    }
}

/** Bytes before the head of {@link DeliveryQueue}. */
abstract class DeliveryQueuePrefix {

    static final int PADDING_BYTES = 128;

    byte p000, p001, p002, p003, p004, p005, p006, p007, p008, p009, p010, p011, p012, p013, p014, p015;
    byte p016, p017, p018, p019, p020, p021, p022, p023, p024, p025, p026, p027, p028, p029, p030, p031;
    byte p032, p033, p034, p035, p036, p037, p038, p039, p040, p041, p042, p043, p044, p045, p046, p047;
    byte p048, p049, p050, p051, p052, p053, p054, p055, p056, p057, p058, p059, p060, p061, p062, p063;
    byte p064, p065, p066, p067, p068, p069, p070, p071, p072, p073, p074, p075, p076, p077, p078, p079;
    byte p080, p081, p082, p083, p084, p085, p086, p087, p088, p089, p090, p091, p092, p093, p094, p095;
    byte p096, p097, p098, p099, p100, p101, p102, p103, p104, p105, p106, p107, p108, p109, p110, p111;
    byte p112, p113, p114, p115, p116, p117, p118, p119, p120, p121, p122, p123, p124, p125, p126, p127;
}

/** The consumer's end of {@link DeliveryQueue}. */
abstract class DeliveryQueueHead<E> extends DeliveryQueuePrefix {

    /** The node before the first element: a sentinel whose value was taken. Consumer only. */
    DeliveryQueue.Node<E> head;
}

/** Bytes between the head and the tail of {@link DeliveryQueue}. */
abstract class DeliveryQueueMiddle<E> extends DeliveryQueueHead<E> {

    byte q000, q001, q002, q003, q004, q005, q006, q007, q008, q009, q010, q011, q012, q013, q014, q015;
    byte q016, q017, q018, q019, q020, q021, q022, q023, q024, q025, q026, q027, q028, q029, q030, q031;
    byte q032, q033, q034, q035, q036, q037, q038, q039, q040, q041, q042, q043, q044, q045, q046, q047;
    byte q048, q049, q050, q051, q052, q053, q054, q055, q056, q057, q058, q059, q060, q061, q062, q063;
    byte q064, q065, q066, q067, q068, q069, q070, q071, q072, q073, q074, q075, q076, q077, q078, q079;
    byte q080, q081, q082, q083, q084, q085, q086, q087, q088, q089, q090, q091, q092, q093, q094, q095;
    byte q096, q097, q098, q099, q100, q101, q102, q103, q104, q105, q106, q107, q108, q109, q110, q111;
    byte q112, q113, q114, q115, q116, q117, q118, q119, q120, q121, q122, q123, q124, q125, q126, q127;
}

/** The producers' end of {@link DeliveryQueue}. */
abstract class DeliveryQueueTail<E> extends DeliveryQueueMiddle<E> {

    /** The last node; producers swap it atomically. */
    volatile DeliveryQueue.Node<E> tail;
    /** Reserved slots, changed atomically. */
    volatile int reserved;
}

/**
 * Bytes after the tail of {@link DeliveryQueue}, in a class of their own: HotSpot places a class's
 * byte fields between its int and reference fields, which would separate the tail from the
 * reservation count.
 */
abstract class DeliveryQueueSuffix<E> extends DeliveryQueueTail<E> {

    byte r000, r001, r002, r003, r004, r005, r006, r007, r008, r009, r010, r011, r012, r013, r014, r015;
    byte r016, r017, r018, r019, r020, r021, r022, r023, r024, r025, r026, r027, r028, r029, r030, r031;
    byte r032, r033, r034, r035, r036, r037, r038, r039, r040, r041, r042, r043, r044, r045, r046, r047;
    byte r048, r049, r050, r051, r052, r053, r054, r055, r056, r057, r058, r059, r060, r061, r062, r063;
    byte r064, r065, r066, r067, r068, r069, r070, r071, r072, r073, r074, r075, r076, r077, r078, r079;
    byte r080, r081, r082, r083, r084, r085, r086, r087, r088, r089, r090, r091, r092, r093, r094, r095;
    byte r096, r097, r098, r099, r100, r101, r102, r103, r104, r105, r106, r107, r108, r109, r110, r111;
    byte r112, r113, r114, r115, r116, r117, r118, r119, r120, r121, r122, r123, r124, r125, r126, r127;
}
