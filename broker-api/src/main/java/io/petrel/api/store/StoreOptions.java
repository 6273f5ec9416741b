package io.petrel.api.store;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits and durability settings that a {@link StoreProvider} applies to the stores it opens under
 * one data directory. Immutable. {@link #defaults()} has no size cap, a free space reserve of
 * {@value #DEFAULT_MIN_FREE_BYTES} bytes, no forced sync, and keeps dead letters until they are
 * removed.
 */
public final class StoreOptions {

    /** Free space that stores leave on the file system of the data directory by default: 64 MiB. */
    public static final long DEFAULT_MIN_FREE_BYTES = 64L * 1024 * 1024;

    /** When a store forces its appended records to the storage device. */
    public enum Sync {

        /**
         * Never: the operating system writes the pages of the memory-mapped journal files back when
         * it chooses, so an operating system crash or power loss can lose acknowledged records.
         */
        NONE,

        /**
         * After each batch of appended records and before their stages complete, the store has the
         * operating system write that batch's pages to the storage device ({@code msync}) and waits
         * for it.
         */
        BATCH
    }

    private static final StoreOptions DEFAULTS = builder().build();

    private final long maxDataBytes;
    private final long minFreeBytes;
    private final Sync sync;
    private final Duration deadLetterMaxAge;
    private final long deadLetterMaxBytes;

    private StoreOptions(Builder builder) {
        this.maxDataBytes = builder.maxDataBytes;
        this.minFreeBytes = builder.minFreeBytes;
        this.sync = builder.sync;
        this.deadLetterMaxAge = builder.deadLetterMaxAge;
        this.deadLetterMaxBytes = builder.deadLetterMaxBytes;
    }

    /** Returns the default options. */
    public static StoreOptions defaults() {
        return DEFAULTS;
    }

    /** Returns a builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns a builder that starts from these options. */
    public Builder toBuilder() {
        return new Builder()
                .maxDataBytes(maxDataBytes)
                .minFreeBytes(minFreeBytes)
                .sync(sync)
                .deadLetterMaxAge(deadLetterMaxAge)
                .deadLetterMaxBytes(deadLetterMaxBytes);
    }

    /**
     * Returns the cap on the bytes the stores keep under the data directory; 0 means no cap. Above
     * it, stores reject new records until the data shrinks.
     */
    public long maxDataBytes() {
        return maxDataBytes;
    }

    /**
     * Returns the free space, in bytes, that stores leave on the file system of the data directory:
     * an append that would leave less is rejected.
     */
    public long minFreeBytes() {
        return minFreeBytes;
    }

    /** Returns when stores force appended records to the storage device. */
    public Sync sync() {
        return sync;
    }

    /** Returns the age after which dead letters are removed, or null to keep them until removed. */
    public Duration deadLetterMaxAge() {
        return deadLetterMaxAge;
    }

    /**
     * Returns the bytes of dead letters kept, above which the oldest letters are removed; 0 means no
     * limit.
     */
    public long deadLetterMaxBytes() {
        return deadLetterMaxBytes;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof StoreOptions options)) {
            return false;
        }
        return maxDataBytes == options.maxDataBytes
                && minFreeBytes == options.minFreeBytes
                && sync == options.sync
                && Objects.equals(deadLetterMaxAge, options.deadLetterMaxAge)
                && deadLetterMaxBytes == options.deadLetterMaxBytes;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxDataBytes, minFreeBytes, sync, deadLetterMaxAge, deadLetterMaxBytes);
    }

    @Override
    public String toString() {
        return "StoreOptions{maxDataBytes=" + maxDataBytes
                + ", minFreeBytes=" + minFreeBytes
                + ", sync=" + sync
                + ", deadLetterMaxAge=" + deadLetterMaxAge
                + ", deadLetterMaxBytes=" + deadLetterMaxBytes + '}';
    }

    /** Builds {@link StoreOptions}; each setter rejects an invalid value at once, naming it. */
    public static final class Builder {

        private long maxDataBytes;
        private long minFreeBytes = DEFAULT_MIN_FREE_BYTES;
        private Sync sync = Sync.NONE;
        private Duration deadLetterMaxAge;
        private long deadLetterMaxBytes;

        private Builder() {
        }

        /** Sets the cap on the data directory's size in bytes; 0 means no cap. Default: 0. */
        public Builder maxDataBytes(long bytes) {
            this.maxDataBytes = requireNotNegative("maxDataBytes", bytes);
            return this;
        }

        /**
         * Sets the free space in bytes that stores leave on the file system of the data directory.
         * Default: {@value #DEFAULT_MIN_FREE_BYTES}.
         */
        public Builder minFreeBytes(long bytes) {
            this.minFreeBytes = requireNotNegative("minFreeBytes", bytes);
            return this;
        }

        /** Sets when stores force appended records to the storage device. Default: {@link Sync#NONE}. */
        public Builder sync(Sync mode) {
            this.sync = Objects.requireNonNull(mode, "sync");
            return this;
        }

        /**
         * Sets the age after which dead letters are removed; null or zero keeps them until removed.
         * Default: null.
         */
        public Builder deadLetterMaxAge(Duration age) {
            if (age != null && age.isNegative()) {
                throw new IllegalArgumentException("invalid deadLetterMaxAge = " + age
                        + ": expected a duration of 0 or more, or null");
            }
            this.deadLetterMaxAge = age == null || age.isZero() ? null : age;
            return this;
        }

        /** Sets the bytes of dead letters kept; 0 means no limit. Default: 0. */
        public Builder deadLetterMaxBytes(long bytes) {
            this.deadLetterMaxBytes = requireNotNegative("deadLetterMaxBytes", bytes);
            return this;
        }

        /** Returns the options. */
        public StoreOptions build() {
            return new StoreOptions(this);
        }

        private static long requireNotNegative(String name, long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("invalid " + name + " = " + bytes + ": expected 0 or more bytes");
            }
            return bytes;
        }
    }
}
