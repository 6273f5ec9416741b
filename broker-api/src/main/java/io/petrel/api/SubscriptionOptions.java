package io.petrel.api;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Options of an in-process subscription. Immutable; build one with {@link #builder()}.
 *
 * <p>Each subscription has a bounded queue of {@link #queueCapacity()} messages: the messages
 * accepted and not yet finished, whether they wait for the handler, run in it or wait for a retry.
 * When the queue is full, a message delivered at QoS 0 is dropped and counted in
 * {@code petrel.messages.dropped{reason=subscription_queue_full}}. A message delivered at QoS 1 or 2
 * waits for room instead: the stage returned by {@link Broker#publish} completes once every full
 * queue took its message, or fails after the broker's publish timeout. Retained messages sent when
 * the subscription is made are queued even beyond the capacity, so none of them is lost.
 *
 * <p>By default the handler gets one message at a time, in arrival order, and a message waiting
 * for a retry holds back the messages behind it. With {@link #maxConcurrency()} above 1, up to that
 * many messages are in progress at once, a message waiting for a retry occupying one of them, and
 * messages may complete and be retried in any order.
 */
public final class SubscriptionOptions {

    /** Default bound of a subscription's queue, in messages. */
    public static final int DEFAULT_QUEUE_CAPACITY = 1_000;

    private static final SubscriptionOptions DEFAULTS = new Builder().build();

    private final Qos maxQos;
    private final Executor executor;
    private final RetryPolicy retryPolicy;
    private final CircuitBreakerPolicy circuitBreaker;
    private final int queueCapacity;
    private final int maxConcurrency;
    private final boolean noLocal;
    private final boolean retainAsPublished;
    private final RetainHandling retainHandling;
    private final int subscriptionIdentifier;

    private SubscriptionOptions(Builder builder) {
        this.maxQos = builder.maxQos;
        this.executor = builder.executor;
        this.retryPolicy = builder.retryPolicy;
        this.circuitBreaker = builder.circuitBreaker;
        this.queueCapacity = builder.queueCapacity;
        this.maxConcurrency = builder.maxConcurrency;
        this.noLocal = builder.noLocal;
        this.retainAsPublished = builder.retainAsPublished;
        this.retainHandling = builder.retainHandling;
        this.subscriptionIdentifier = builder.subscriptionIdentifier;
    }

    /**
     * Returns options with QoS up to 2, the broker's shared handler executor, the default retry
     * policy, no circuit breaker, a queue of {@value #DEFAULT_QUEUE_CAPACITY} messages and one
     * message at a time.
     */
    public static SubscriptionOptions defaults() {
        return DEFAULTS;
    }

    /** Returns a builder that starts from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns a builder that starts from these options. */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.maxQos = maxQos;
        builder.executor = executor;
        builder.retryPolicy = retryPolicy;
        builder.circuitBreaker = circuitBreaker;
        builder.queueCapacity = queueCapacity;
        builder.maxConcurrency = maxConcurrency;
        builder.noLocal = noLocal;
        builder.retainAsPublished = retainAsPublished;
        builder.retainHandling = retainHandling;
        builder.subscriptionIdentifier = subscriptionIdentifier;
        return builder;
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

    /** Returns how a message whose handler threw is retried before it is dead-lettered. */
    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    /** Returns when the subscription stops calling a failing handler. */
    public CircuitBreakerPolicy circuitBreaker() {
        return circuitBreaker;
    }

    /** Returns the bound of the subscription's queue, in messages. */
    public int queueCapacity() {
        return queueCapacity;
    }

    /** Returns how many messages may be in progress at once; 1 keeps arrival order. */
    public int maxConcurrency() {
        return maxConcurrency;
    }

    /**
     * Returns true if messages published through this broker's in-process API are not delivered to
     * this subscription (MQTT 5.0 No Local, with the application as the client).
     */
    public boolean noLocal() {
        return noLocal;
    }

    /** Returns true if live messages keep the publisher's retain flag (MQTT 5.0 Retain As Published). */
    public boolean retainAsPublished() {
        return retainAsPublished;
    }

    /** Returns when retained messages are delivered on subscribe (MQTT 5.0 Retain Handling). */
    public RetainHandling retainHandling() {
        return retainHandling;
    }

    /**
     * Returns the subscription identifier reported in {@link Message#subscriptionIdentifiers()} of
     * each delivered message, or 0 for none.
     */
    public int subscriptionIdentifier() {
        return subscriptionIdentifier;
    }

    @Override
    public String toString() {
        return "SubscriptionOptions{maxQos=" + maxQos + ", executor=" + (executor == null ? "shared" : executor)
                + ", retryPolicy=" + retryPolicy + ", circuitBreaker=" + circuitBreaker
                + ", queueCapacity=" + queueCapacity + ", maxConcurrency=" + maxConcurrency
                + ", noLocal=" + noLocal + ", retainAsPublished=" + retainAsPublished
                + ", retainHandling=" + retainHandling + ", subscriptionIdentifier=" + subscriptionIdentifier + '}';
    }

    /**
     * Builder of {@link SubscriptionOptions}. Each setter rejects an invalid value at once with an
     * {@link IllegalArgumentException} that names the setting. Not thread-safe.
     */
    public static final class Builder {

        private Qos maxQos = Qos.EXACTLY_ONCE;
        private Executor executor;
        private RetryPolicy retryPolicy = RetryPolicy.defaults();
        private CircuitBreakerPolicy circuitBreaker = CircuitBreakerPolicy.disabled();
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private int maxConcurrency = 1;
        private boolean noLocal;
        private boolean retainAsPublished;
        private RetainHandling retainHandling = RetainHandling.SEND_ON_SUBSCRIBE;
        private int subscriptionIdentifier;

        private Builder() {
        }

        /** Sets whether messages published in-process skip this subscription. Default: false. */
        public Builder noLocal(boolean noLocal) {
            this.noLocal = noLocal;
            return this;
        }

        /** Sets whether live messages keep the publisher's retain flag. Default: false. */
        public Builder retainAsPublished(boolean retainAsPublished) {
            this.retainAsPublished = retainAsPublished;
            return this;
        }

        /** Sets when retained messages are delivered on subscribe. Default: on every subscribe. */
        public Builder retainHandling(RetainHandling retainHandling) {
            this.retainHandling = Objects.requireNonNull(retainHandling, "retainHandling");
            return this;
        }

        /**
         * Sets the subscription identifier, 1 to 268,435,455, or 0 for none. Default: 0.
         *
         * @throws IllegalArgumentException if {@code identifier} is outside 0 to 268,435,455
         */
        public Builder subscriptionIdentifier(int identifier) {
            if (identifier < 0 || identifier > Message.MAX_SUBSCRIPTION_IDENTIFIER) {
                throw new IllegalArgumentException("invalid subscriptionIdentifier " + identifier
                        + ": expected 1 to " + Message.MAX_SUBSCRIPTION_IDENTIFIER + ", or 0 for none");
            }
            this.subscriptionIdentifier = identifier;
            return this;
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

        /** Sets the retry policy. Default: {@link RetryPolicy#defaults()}. */
        public Builder retryPolicy(RetryPolicy retryPolicy) {
            this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
            return this;
        }

        /** Sets the circuit breaker policy. Default: {@link CircuitBreakerPolicy#disabled()}. */
        public Builder circuitBreaker(CircuitBreakerPolicy circuitBreaker) {
            this.circuitBreaker = Objects.requireNonNull(circuitBreaker, "circuitBreaker");
            return this;
        }

        /**
         * Sets the bound of the subscription's queue, in messages. Default:
         * {@value SubscriptionOptions#DEFAULT_QUEUE_CAPACITY}.
         *
         * @throws IllegalArgumentException if {@code capacity} is below 1
         */
        public Builder queueCapacity(int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("invalid queueCapacity " + capacity + ": expected 1 or more messages");
            }
            this.queueCapacity = capacity;
            return this;
        }

        /**
         * Sets how many messages may be in progress at once. Above 1, messages may be handled,
         * completed and retried in any order. Default: 1.
         *
         * @throws IllegalArgumentException if {@code maxConcurrency} is below 1
         */
        public Builder maxConcurrency(int maxConcurrency) {
            if (maxConcurrency < 1) {
                throw new IllegalArgumentException("invalid maxConcurrency " + maxConcurrency
                        + ": expected 1 or more (1 keeps arrival order)");
            }
            this.maxConcurrency = maxConcurrency;
            return this;
        }

        /**
         * Builds the options.
         *
         * @throws IllegalArgumentException if {@code maxConcurrency} is above {@code queueCapacity}:
         *                                  messages in progress count towards the queue's bound
         */
        public SubscriptionOptions build() {
            if (maxConcurrency > queueCapacity) {
                throw new IllegalArgumentException("invalid maxConcurrency " + maxConcurrency
                        + ": expected at most queueCapacity " + queueCapacity
                        + ", because messages in progress count towards the queue's bound");
            }
            return new SubscriptionOptions(this);
        }
    }
}
