package io.petrel.benchmarks.load;

import java.util.concurrent.TimeUnit;

/** The end of a run's wall-time budget, in {@link System#nanoTime()} time. Immutable. */
record Deadline(long endNanos) {

    /** Returns the deadline {@code seconds} from now. */
    static Deadline inSeconds(long seconds) {
        return new Deadline(System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds));
    }

    /** Returns true once the deadline has passed. */
    boolean passed() {
        return System.nanoTime() - endNanos >= 0;
    }

    /**
     * Returns the milliseconds left, rounded up and at least 0, so that a wait of this length ends
     * after the deadline has passed.
     */
    long remainingMillis() {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime() + 999_999));
    }
}
