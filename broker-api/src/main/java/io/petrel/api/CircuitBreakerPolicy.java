package io.petrel.api;

import java.time.Duration;
import java.util.Objects;

/**
 * When the circuit breaker of an in-process subscription stops calling a failing handler, and for
 * how long. Immutable; build one with {@link #builder()}, or turn the breaker off with
 * {@link #disabled()}, the default of {@link SubscriptionOptions}.
 *
 * <p>Every handler call, retries included, is one call for the breaker. The circuit opens when
 * either enabled trigger fires:
 * <ul>
 *   <li>{@link #consecutiveFailures()} calls in a row failed, or</li>
 *   <li>of the last {@link #slidingWindowSize()} calls, at least {@link #minimumCalls()} were made
 *       and the share that failed is at or above {@link #failureRateThreshold()}.</li>
 * </ul>
 *
 * <p>While the circuit is open, the handler is not called and messages wait in the subscription's
 * bounded queue. Once the queue is full, further messages are dead-lettered if
 * {@link #deadLetterWhenQueueFull()} is true, or otherwise meet the queue's usual backpressure.
 * After {@link #coolDown()} one probe message is delivered: if the handler returns, the circuit
 * closes and the counts start afresh; if it throws, the circuit opens for another cool-down.
 */
public final class CircuitBreakerPolicy {

    /** Consecutive failures that open the circuit in a policy built with the defaults. */
    public static final int DEFAULT_CONSECUTIVE_FAILURES = 5;
    /** Time the circuit stays open before a probe in a policy built with the defaults. */
    public static final Duration DEFAULT_COOL_DOWN = Duration.ofSeconds(30);

    private static final CircuitBreakerPolicy DISABLED = new CircuitBreakerPolicy(new Builder(), false);

    private final boolean enabled;
    private final int consecutiveFailures;
    private final double failureRateThreshold;
    private final int slidingWindowSize;
    private final int minimumCalls;
    private final Duration coolDown;
    private final boolean deadLetterWhenQueueFull;

    private CircuitBreakerPolicy(Builder builder, boolean enabled) {
        this.enabled = enabled;
        this.consecutiveFailures = builder.consecutiveFailures;
        this.failureRateThreshold = builder.failureRateThreshold;
        this.slidingWindowSize = builder.slidingWindowSize;
        this.minimumCalls = builder.minimumCalls;
        this.coolDown = builder.coolDown;
        this.deadLetterWhenQueueFull = builder.deadLetterWhenQueueFull;
    }

    /** Returns a policy under which the circuit never opens. */
    public static CircuitBreakerPolicy disabled() {
        return DISABLED;
    }

    /**
     * Returns a builder with {@value #DEFAULT_CONSECUTIVE_FAILURES} consecutive failures as the only
     * trigger, a 30 s cool-down and dead-lettering when the queue is full while open.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns false for {@link #disabled()}, true for every built policy. */
    public boolean enabled() {
        return enabled;
    }

    /** Returns the number of failed calls in a row that opens the circuit; 0 when this trigger is off. */
    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    /**
     * Returns the share of failed calls in the sliding window, from above 0 to 1, at or above
     * which the circuit opens; 0 when this trigger is off.
     */
    public double failureRateThreshold() {
        return failureRateThreshold;
    }

    /** Returns the number of most recent calls the failure rate is computed over; 0 when that trigger is off. */
    public int slidingWindowSize() {
        return slidingWindowSize;
    }

    /** Returns the number of calls the window must hold before the failure rate can open the circuit. */
    public int minimumCalls() {
        return minimumCalls;
    }

    /** Returns how long the circuit stays open before one probe message is delivered. */
    public Duration coolDown() {
        return coolDown;
    }

    /**
     * Returns true if a message that arrives while the circuit is open and the queue is full goes
     * to the dead-letter store. Returns false if such a message meets the queue's backpressure like
     * any other.
     */
    public boolean deadLetterWhenQueueFull() {
        return deadLetterWhenQueueFull;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof CircuitBreakerPolicy that)) {
            return false;
        }
        return enabled == that.enabled && consecutiveFailures == that.consecutiveFailures
                && Double.compare(failureRateThreshold, that.failureRateThreshold) == 0
                && slidingWindowSize == that.slidingWindowSize && minimumCalls == that.minimumCalls
                && coolDown.equals(that.coolDown) && deadLetterWhenQueueFull == that.deadLetterWhenQueueFull;
    }

    @Override
    public int hashCode() {
        return Objects.hash(enabled, consecutiveFailures, failureRateThreshold, slidingWindowSize, minimumCalls,
                coolDown, deadLetterWhenQueueFull);
    }

    @Override
    public String toString() {
        if (!enabled) {
            return "CircuitBreakerPolicy{disabled}";
        }
        return "CircuitBreakerPolicy{consecutiveFailures=" + consecutiveFailures + ", failureRateThreshold="
                + failureRateThreshold + ", slidingWindowSize=" + slidingWindowSize + ", minimumCalls=" + minimumCalls
                + ", coolDown=" + coolDown + ", deadLetterWhenQueueFull=" + deadLetterWhenQueueFull + '}';
    }

    /**
     * Builder of {@link CircuitBreakerPolicy}. Each setter rejects an invalid value at once with an
     * {@link IllegalArgumentException} that names the setting; {@link #build()} rejects a policy
     * with both triggers off. Not thread-safe.
     */
    public static final class Builder {

        private int consecutiveFailures = DEFAULT_CONSECUTIVE_FAILURES;
        private double failureRateThreshold;
        private int slidingWindowSize;
        private int minimumCalls;
        private Duration coolDown = DEFAULT_COOL_DOWN;
        private boolean deadLetterWhenQueueFull = true;

        private Builder() {
        }

        /**
         * Opens the circuit after {@code failures} failed calls in a row; 0 turns this trigger off.
         * Default: {@value CircuitBreakerPolicy#DEFAULT_CONSECUTIVE_FAILURES}.
         *
         * @throws IllegalArgumentException if {@code failures} is negative
         */
        public Builder consecutiveFailures(int failures) {
            if (failures < 0) {
                throw new IllegalArgumentException("invalid consecutiveFailures " + failures
                        + ": expected 1 or more, or 0 to turn this trigger off");
            }
            this.consecutiveFailures = failures;
            return this;
        }

        /**
         * Opens the circuit when, of the last {@code slidingWindowSize} calls, at least
         * {@code minimumCalls} were made and the share that failed is at or above {@code threshold}.
         * Off by default.
         *
         * @param threshold         share of failed calls, above 0 and at most 1, for example 0.5
         * @param slidingWindowSize number of most recent calls to count, 1 or more
         * @param minimumCalls      calls needed before the rate counts, 1 to {@code slidingWindowSize}
         * @throws IllegalArgumentException if a value is outside its range, naming it
         */
        public Builder failureRate(double threshold, int slidingWindowSize, int minimumCalls) {
            if (!(threshold > 0.0 && threshold <= 1.0)) {
                throw new IllegalArgumentException("invalid failureRateThreshold " + threshold
                        + ": expected a share above 0.0 and at most 1.0");
            }
            if (slidingWindowSize < 1) {
                throw new IllegalArgumentException("invalid slidingWindowSize " + slidingWindowSize
                        + ": expected 1 or more calls");
            }
            if (minimumCalls < 1 || minimumCalls > slidingWindowSize) {
                throw new IllegalArgumentException("invalid minimumCalls " + minimumCalls
                        + ": expected 1 to slidingWindowSize " + slidingWindowSize);
            }
            this.failureRateThreshold = threshold;
            this.slidingWindowSize = slidingWindowSize;
            this.minimumCalls = minimumCalls;
            return this;
        }

        /**
         * Sets how long the circuit stays open before one probe message is delivered. Default: 30 s.
         *
         * @throws IllegalArgumentException if {@code coolDown} is zero or negative
         */
        public Builder coolDown(Duration coolDown) {
            Objects.requireNonNull(coolDown, "coolDown");
            if (coolDown.isNegative() || coolDown.isZero()) {
                throw new IllegalArgumentException("invalid coolDown " + coolDown + ": expected a positive duration");
            }
            this.coolDown = coolDown;
            return this;
        }

        /**
         * Sets whether a message arriving while the circuit is open and the queue is full goes to
         * the dead-letter store (true, the default) or meets the queue's backpressure (false). Under
         * backpressure a QoS 0 message is dropped and a QoS 1 or 2 publish waits for room.
         */
        public Builder deadLetterWhenQueueFull(boolean deadLetter) {
            this.deadLetterWhenQueueFull = deadLetter;
            return this;
        }

        /**
         * Builds the policy.
         *
         * @throws IllegalArgumentException if both triggers are off
         */
        public CircuitBreakerPolicy build() {
            if (consecutiveFailures == 0 && slidingWindowSize == 0) {
                throw new IllegalArgumentException("invalid circuit breaker: consecutiveFailures is 0 and no "
                        + "failureRate is set; enable at least one trigger, or use CircuitBreakerPolicy.disabled()");
            }
            return new CircuitBreakerPolicy(this, true);
        }
    }
}
