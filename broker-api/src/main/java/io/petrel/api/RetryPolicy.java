package io.petrel.api;

import java.time.Duration;
import java.util.Objects;

/**
 * Retry rules of an in-process subscription for a message whose handler threw. Immutable; build one
 * with {@link #builder()}.
 *
 * <p>Attempt {@code n} (the first call is attempt 1) that fails is followed, if {@code n} is below
 * {@link #maxAttempts()}, by attempt {@code n + 1} after a backoff. Before jitter, the backoff is
 * {@code min(maxDelay, initialDelay * multiplier^(n - 1))}: with the defaults 100 ms, 200 ms, 400 ms
 * and so on, never more than 10 s. {@link Jitter} then spreads the delays of messages that failed
 * together, so that they do not all reach a recovering dependency at the same instant.
 *
 * <p>The broker waits on a scheduler, never on a handler thread, so a retry does not hold up other
 * subscriptions. When attempts run out, the message goes to the dead-letter store. A handler that
 * throws {@link UnprocessableMessageException} sends its message there at once, without retries.
 */
public final class RetryPolicy {

    /** Attempts of the default policy, the first call included. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /** Backoff before the second attempt in the default policy. */
    public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofMillis(100);
    /** Factor applied to the backoff after each failed attempt in the default policy. */
    public static final double DEFAULT_MULTIPLIER = 2.0;
    /** Upper bound of the backoff in the default policy, before jitter. */
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(10);
    /** Fraction by which proportional jitter moves a delay up or down in the default policy. */
    public static final double DEFAULT_JITTER_FACTOR = 0.2;

    private static final RetryPolicy DEFAULTS = new Builder().build();
    private static final RetryPolicy NONE = new Builder().maxAttempts(1).build();

    /** Randomization of backoff delays. */
    public enum Jitter {
        /** The delay is used as computed. */
        NONE,
        /**
         * The delay is drawn uniformly from {@code [0, delay)}: the widest spread, and on average
         * half the computed delay.
         */
        FULL,
        /**
         * The delay is drawn uniformly from {@code [delay * (1 - factor), delay * (1 + factor))},
         * then capped at the maximum delay: keeps the schedule's shape with a spread of
         * {@code factor} either side.
         */
        PROPORTIONAL
    }

    private final int maxAttempts;
    private final Duration initialDelay;
    private final double multiplier;
    private final Duration maxDelay;
    private final Jitter jitter;
    private final double jitterFactor;

    private RetryPolicy(Builder builder) {
        this.maxAttempts = builder.maxAttempts;
        this.initialDelay = builder.initialDelay;
        this.multiplier = builder.multiplier;
        this.maxDelay = builder.maxDelay;
        this.jitter = builder.jitter;
        this.jitterFactor = builder.jitterFactor;
    }

    /**
     * Returns the default policy: {@value #DEFAULT_MAX_ATTEMPTS} attempts, 100 ms initial delay
     * doubled after each failure up to 10 s, with proportional jitter of 20%.
     */
    public static RetryPolicy defaults() {
        return DEFAULTS;
    }

    /** Returns a policy that calls the handler once and dead-letters the message if it throws. */
    public static RetryPolicy none() {
        return NONE;
    }

    /** Returns a builder that starts from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns a builder that starts from this policy's values. */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.maxAttempts = maxAttempts;
        builder.initialDelay = initialDelay;
        builder.multiplier = multiplier;
        builder.maxDelay = maxDelay;
        builder.jitter = jitter;
        builder.jitterFactor = jitterFactor;
        return builder;
    }

    /** Returns the number of handler calls per message, the first one included; 1 means no retries. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** Returns the backoff after the first failed attempt, before jitter. */
    public Duration initialDelay() {
        return initialDelay;
    }

    /** Returns the factor applied to the backoff after each further failed attempt. */
    public double multiplier() {
        return multiplier;
    }

    /** Returns the upper bound of the backoff, before jitter. */
    public Duration maxDelay() {
        return maxDelay;
    }

    /** Returns how the backoff is randomized. */
    public Jitter jitter() {
        return jitter;
    }

    /** Returns the spread of {@link Jitter#PROPORTIONAL} jitter, between 0 and 1. */
    public double jitterFactor() {
        return jitterFactor;
    }

    /**
     * Returns the backoff without jitter after {@code failedAttempt} failed:
     * {@code min(maxDelay, initialDelay * multiplier^(failedAttempt - 1))}.
     *
     * @param failedAttempt the number of the attempt that failed, from 1
     * @throws IllegalArgumentException if {@code failedAttempt} is below 1
     */
    public Duration baseDelay(int failedAttempt) {
        if (failedAttempt < 1) {
            throw new IllegalArgumentException("invalid failedAttempt " + failedAttempt + ": expected 1 or more");
        }
        double nanos = initialDelay.toNanos() * Math.pow(multiplier, failedAttempt - 1);
        long capNanos = maxDelay.toNanos();
        return Duration.ofNanos(nanos >= capNanos ? capNanos : (long) nanos);
    }

    /**
     * Returns the backoff after {@code failedAttempt} failed, with jitter applied.
     *
     * @param failedAttempt the number of the attempt that failed, from 1
     * @param random        a uniformly distributed value in {@code [0, 1)}, for example from
     *                      {@code ThreadLocalRandom.current().nextDouble()}
     * @throws IllegalArgumentException if {@code failedAttempt} is below 1 or {@code random} is
     *                                  outside {@code [0, 1)}
     */
    public Duration delay(int failedAttempt, double random) {
        if (!(random >= 0.0 && random < 1.0)) {
            throw new IllegalArgumentException("invalid random " + random + ": expected a value in [0, 1)");
        }
        long baseNanos = baseDelay(failedAttempt).toNanos();
        long jittered = switch (jitter) {
            case NONE -> baseNanos;
            case FULL -> (long) (baseNanos * random);
            case PROPORTIONAL -> Math.min(maxDelay.toNanos(),
                    (long) (baseNanos * (1.0 - jitterFactor + 2.0 * jitterFactor * random)));
        };
        return Duration.ofNanos(jittered);
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof RetryPolicy that)) {
            return false;
        }
        return maxAttempts == that.maxAttempts && Double.compare(multiplier, that.multiplier) == 0
                && Double.compare(jitterFactor, that.jitterFactor) == 0 && initialDelay.equals(that.initialDelay)
                && maxDelay.equals(that.maxDelay) && jitter == that.jitter;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxAttempts, initialDelay, multiplier, maxDelay, jitter, jitterFactor);
    }

    @Override
    public String toString() {
        return "RetryPolicy{maxAttempts=" + maxAttempts + ", initialDelay=" + initialDelay + ", multiplier="
                + multiplier + ", maxDelay=" + maxDelay + ", jitter=" + jitter
                + (jitter == Jitter.PROPORTIONAL ? "(" + jitterFactor + ")" : "") + '}';
    }

    /**
     * Builder of {@link RetryPolicy}. Each setter rejects an invalid value at once with an
     * {@link IllegalArgumentException} that names the setting; {@link #build()} rejects settings
     * that conflict. Not thread-safe.
     */
    public static final class Builder {

        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialDelay = DEFAULT_INITIAL_DELAY;
        private double multiplier = DEFAULT_MULTIPLIER;
        private Duration maxDelay = DEFAULT_MAX_DELAY;
        private Jitter jitter = Jitter.PROPORTIONAL;
        private double jitterFactor = DEFAULT_JITTER_FACTOR;

        private Builder() {
        }

        /**
         * Sets the number of handler calls per message, the first one included. Default:
         * {@value RetryPolicy#DEFAULT_MAX_ATTEMPTS}.
         *
         * @throws IllegalArgumentException if {@code maxAttempts} is below 1
         */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("invalid maxAttempts " + maxAttempts
                        + ": expected 1 or more (1 calls the handler once, without retries)");
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * Sets the backoff after the first failed attempt. Default: 100 ms.
         *
         * @throws IllegalArgumentException if {@code initialDelay} is negative
         */
        public Builder initialDelay(Duration initialDelay) {
            Objects.requireNonNull(initialDelay, "initialDelay");
            if (initialDelay.isNegative()) {
                throw new IllegalArgumentException("invalid initialDelay " + initialDelay + ": expected zero or more");
            }
            this.initialDelay = initialDelay;
            return this;
        }

        /**
         * Sets the factor applied to the backoff after each further failed attempt; 1.0 keeps the
         * delay constant. Default: {@value RetryPolicy#DEFAULT_MULTIPLIER}.
         *
         * @throws IllegalArgumentException if {@code multiplier} is below 1.0 or not finite
         */
        public Builder multiplier(double multiplier) {
            if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
                throw new IllegalArgumentException("invalid multiplier " + multiplier
                        + ": expected a finite value of 1.0 or more");
            }
            this.multiplier = multiplier;
            return this;
        }

        /**
         * Sets the upper bound of the backoff, before jitter. Default: 10 s.
         *
         * @throws IllegalArgumentException if {@code maxDelay} is negative
         */
        public Builder maxDelay(Duration maxDelay) {
            Objects.requireNonNull(maxDelay, "maxDelay");
            if (maxDelay.isNegative()) {
                throw new IllegalArgumentException("invalid maxDelay " + maxDelay + ": expected zero or more");
            }
            this.maxDelay = maxDelay;
            return this;
        }

        /** Turns jitter off: each delay is used as computed. */
        public Builder noJitter() {
            this.jitter = Jitter.NONE;
            return this;
        }

        /** Draws each delay uniformly from zero to the computed delay; see {@link Jitter#FULL}. */
        public Builder fullJitter() {
            this.jitter = Jitter.FULL;
            return this;
        }

        /**
         * Moves each delay up or down by up to {@code factor} of itself; see {@link Jitter#PROPORTIONAL}.
         * Default: proportional jitter with factor {@value RetryPolicy#DEFAULT_JITTER_FACTOR}.
         *
         * @throws IllegalArgumentException if {@code factor} is outside {@code [0, 1]}
         */
        public Builder proportionalJitter(double factor) {
            if (!(factor >= 0.0 && factor <= 1.0)) {
                throw new IllegalArgumentException("invalid jitter factor " + factor + ": expected 0.0 to 1.0");
            }
            this.jitter = Jitter.PROPORTIONAL;
            this.jitterFactor = factor;
            return this;
        }

        /**
         * Builds the policy.
         *
         * @throws IllegalArgumentException if {@code maxDelay} is below {@code initialDelay}
         */
        public RetryPolicy build() {
            if (maxDelay.compareTo(initialDelay) < 0) {
                throw new IllegalArgumentException("invalid maxDelay " + maxDelay
                        + ": expected at least initialDelay " + initialDelay);
            }
            return new RetryPolicy(this);
        }
    }
}
