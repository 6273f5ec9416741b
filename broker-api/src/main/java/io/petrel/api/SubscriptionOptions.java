package io.petrel.api;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Options of an in-process subscription. Immutable; build one with {@link #builder()}.
 */
public final class SubscriptionOptions {

    private static final SubscriptionOptions DEFAULTS = new Builder().build();

    private final Qos maxQos;
    private final Executor executor;

    private SubscriptionOptions(Builder builder) {
        this.maxQos = builder.maxQos;
        this.executor = builder.executor;
    }

    /** Returns options with QoS up to 2 and the broker's shared handler executor. */
    public static SubscriptionOptions defaults() {
        return DEFAULTS;
    }

    /** Returns a builder that starts from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the granted QoS: a message is delivered at the lower of its own QoS and this one.
     */
    public Qos maxQos() {
        return maxQos;
    }

    /**
     * Returns the executor that runs the handler, or empty for the broker's shared handler pool.
     */
    public Optional<Executor> executor() {
        return Optional.ofNullable(executor);
    }

    @Override
    public String toString() {
        return "SubscriptionOptions{maxQos=" + maxQos + ", executor=" + (executor == null ? "shared" : executor) + '}';
    }

    /** Builder of {@link SubscriptionOptions}. Not thread-safe. */
    public static final class Builder {

        private Qos maxQos = Qos.EXACTLY_ONCE;
        private Executor executor;

        private Builder() {
        }

        /** Sets the granted QoS. Default: {@link Qos#EXACTLY_ONCE}. */
        public Builder maxQos(Qos maxQos) {
            this.maxQos = Objects.requireNonNull(maxQos, "maxQos");
            return this;
        }

        /**
         * Sets the executor that runs the handler, for example a virtual-thread executor on Java 21+.
         * The broker never shuts it down. Default: the broker's shared handler pool.
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** Builds the options. */
        public SubscriptionOptions build() {
            return new SubscriptionOptions(this);
        }
    }
}
