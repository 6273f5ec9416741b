package io.petrel.broker.routing;

import java.security.SecureRandom;

/**
 * Hashes for the routing tables that clients fill with topic filters and topic names of their own
 * choosing, seeded once per process from {@link SecureRandom}.
 *
 * <p>{@link String#hashCode()} is a fixed polynomial, so colliding strings can be computed without
 * the broker: every concatenation of n blocks {@code "Aa"} or {@code "BB"} has the same hash, which
 * gives 2<sup>n</sup> filters of one hash. A table keyed by it lets one client fill a single probe
 * sequence with thousands of filters, and every subscribe and match then walks all of them. These hashes
 * depend on a seed that clients cannot see, so such a set has to be found against the running broker
 * instead. They are not cryptographic: they defeat collisions computed in advance, not an attacker who
 * measures the broker's timing at length.
 *
 * <p>Tables take their slot from the top bits of a 64-bit hash ({@link #slot}): a random odd
 * multiplier followed by the top bits is a universal hash family, so distinct keys share a slot no more
 * often than chance allows, whatever keys the clients pick.
 */
final class TopicHash {

    private static final long MIX = 0x9E37_79B9_7F4A_7C15L;
    private static final long SEED;
    private static final long KEY_SEED;
    private static final long SLOT_MULTIPLIER;

    static {
        SecureRandom random = new SecureRandom();
        SEED = random.nextLong();
        KEY_SEED = random.nextLong();
        SLOT_MULTIPLIER = random.nextLong() | 1;
    }

    private TopicHash() {
    }

    /**
     * Returns the seeded 64-bit hash of {@code text[from, to)}. Each step mixes in two characters, which
     * set only the low 32 bits of the step's input. A client therefore cannot cancel a difference that an
     * earlier step spread over the high bits. The length is mixed before the first step for the same
     * reason. XORed into the seed alone, it could be cancelled by the first two characters, and texts of
     * 2n + 1 and 2n + 2 characters would collide for every seed.
     */
    static long of(String text, int from, int to) {
        long hash = mix(SEED ^ (to - from));
        int i = from;
        for (; i + 1 < to; i += 2) {
            hash = mix(hash ^ (text.charAt(i) | (long) text.charAt(i + 1) << 16));
        }
        if (i < to) {
            hash = mix(hash ^ text.charAt(i));
        }
        return mix(hash);
    }

    /** Returns the seeded hash of the whole {@code text}. */
    static long of(String text) {
        return of(text, 0, text.length());
    }

    /**
     * Returns the seeded hash of a 64-bit key that a client can set bit by bit, such as the packed
     * characters of a short level. Slots taken from the key itself by {@link #slot} would keep its
     * arithmetic: a client that reads the slot order of some keys, for example from the order in
     * which a wildcard subscription receives retained messages, could estimate the multiplier and
     * choose keys for one slot. Mixing the key with a seed first removes that linear relation.
     */
    static long ofKey(long key) {
        return mix(mix(key ^ KEY_SEED));
    }

    /**
     * Returns the slot of {@code key} in a table of {@code mask + 1} slots, a power of two and at least 2,
     * from the top bits of {@code key} times the process's random odd multiplier.
     */
    static int slot(long key, int mask) {
        return (int) ((key * SLOT_MULTIPLIER) >>> (32 + Integer.numberOfLeadingZeros(mask)));
    }

    private static long mix(long value) {
        long product = value * MIX;
        return product ^ product >>> 32;
    }
}
