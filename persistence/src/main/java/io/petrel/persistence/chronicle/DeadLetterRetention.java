package io.petrel.persistence.chronicle;

import io.petrel.api.store.StoreOptions;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How long a {@link ChronicleDeadLetterStore} keeps letters: up to a maximum age, counted from a
 * letter's last failure, and up to a maximum total size of the stored letters' records, beyond which
 * the oldest letters go first. Either limit may be absent; {@link #keepForever()} has neither.
 * Immutable.
 */
public final class DeadLetterRetention {

    private static final DeadLetterRetention KEEP_FOREVER = new DeadLetterRetention(null, -1);

    private final Duration maxAge;
    private final long maxBytes;

    private DeadLetterRetention(Duration maxAge, long maxBytes) {
        this.maxAge = maxAge;
        this.maxBytes = maxBytes;
    }

    /** Returns the retention that keeps letters until they are replayed or purged. */
    public static DeadLetterRetention keepForever() {
        return KEEP_FOREVER;
    }

    /**
     * Returns the retention of {@link StoreOptions#deadLetterMaxAge()} (none if null) and
     * {@link StoreOptions#deadLetterMaxBytes()} (none if 0), which the broker configuration keys
     * {@code persistence.dead_letters.max_age} and {@code persistence.dead_letters.max_size} set.
     */
    public static DeadLetterRetention of(StoreOptions options) {
        DeadLetterRetention retention = KEEP_FOREVER;
        if (options.deadLetterMaxAge() != null) {
            retention = retention.withMaxAge(options.deadLetterMaxAge());
        }
        if (options.deadLetterMaxBytes() > 0) {
            retention = retention.withMaxBytes(options.deadLetterMaxBytes());
        }
        return retention;
    }

    /**
     * Returns a copy that drops letters whose last failure is older than {@code maxAge}.
     *
     * @throws IllegalArgumentException if {@code maxAge} is zero or negative
     */
    public DeadLetterRetention withMaxAge(Duration maxAge) {
        Objects.requireNonNull(maxAge, "maxAge");
        if (maxAge.isZero() || maxAge.isNegative()) {
            throw new IllegalArgumentException("invalid dead-letter maximum age " + maxAge
                    + ": expected a positive duration");
        }
        return new DeadLetterRetention(maxAge, maxBytes);
    }

    /**
     * Returns a copy that drops the oldest letters while the stored letters' records take more than
     * {@code maxBytes} bytes together.
     *
     * @throws IllegalArgumentException if {@code maxBytes} is below 1
     */
    public DeadLetterRetention withMaxBytes(long maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("invalid dead-letter maximum size " + maxBytes
                    + " bytes: expected 1 or more");
        }
        return new DeadLetterRetention(maxAge, maxBytes);
    }

    /** Returns the maximum age of a letter, counted from its last failure, if limited. */
    public Optional<Duration> maxAge() {
        return Optional.ofNullable(maxAge);
    }

    /** Returns the maximum total size of the stored letters' records in bytes, if limited. */
    public OptionalLong maxBytes() {
        return maxBytes < 0 ? OptionalLong.empty() : OptionalLong.of(maxBytes);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DeadLetterRetention that && Objects.equals(maxAge, that.maxAge)
                && maxBytes == that.maxBytes;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxAge, maxBytes);
    }

    @Override
    public String toString() {
        return "DeadLetterRetention{maxAge=" + (maxAge == null ? "none" : maxAge) + ", maxBytes="
                + (maxBytes < 0 ? "none" : Long.toString(maxBytes)) + '}';
    }
}
