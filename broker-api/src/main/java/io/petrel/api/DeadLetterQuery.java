package io.petrel.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Selects dead letters by the topic of their message, the subscription that failed and the time
 * they were dead-lettered. Immutable; {@link #all()} selects everything, {@link #builder()} narrows
 * it. A letter matches when it passes every criterion that is set.
 */
public final class DeadLetterQuery {

    private static final DeadLetterQuery ALL = new Builder().build();

    private final String topicFilter;
    private final String subscriptionFilter;
    private final Instant from;
    private final Instant to;

    private DeadLetterQuery(Builder builder) {
        this.topicFilter = builder.topicFilter;
        this.subscriptionFilter = builder.subscriptionFilter;
        this.from = builder.from;
        this.to = builder.to;
    }

    /** Returns a query that matches every dead letter. */
    public static DeadLetterQuery all() {
        return ALL;
    }

    /** Returns a builder that matches everything until narrowed. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the MQTT topic filter that the message topic must match, if set. */
    public Optional<String> topicFilter() {
        return Optional.ofNullable(topicFilter);
    }

    /** Returns the subscription filter that must equal the letter's, if set. */
    public Optional<String> subscriptionFilter() {
        return Optional.ofNullable(subscriptionFilter);
    }

    /** Returns the inclusive lower bound of {@link DeadLetter#lastFailure()}, if set. */
    public Optional<Instant> from() {
        return Optional.ofNullable(from);
    }

    /** Returns the exclusive upper bound of {@link DeadLetter#lastFailure()}, if set. */
    public Optional<Instant> to() {
        return Optional.ofNullable(to);
    }

    /** Returns true if {@code letter} passes every criterion of this query. */
    public boolean matches(DeadLetter letter) {
        if (subscriptionFilter != null && !subscriptionFilter.equals(letter.subscriptionFilter())) {
            return false;
        }
        if (from != null && letter.lastFailure().isBefore(from)) {
            return false;
        }
        if (to != null && !letter.lastFailure().isBefore(to)) {
            return false;
        }
        return topicFilter == null || topicMatches(topicFilter, letter.message().topic());
    }

    /**
     * Returns true if an MQTT topic filter matches a topic name: {@code +} matches one level,
     * {@code #} the rest of the topic including its parent level, and a wildcard in the first level
     * does not match a topic that starts with {@code $}.
     */
    static boolean topicMatches(String filter, String topic) {
        if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) {
            return false;
        }
        String[] filterLevels = filter.split("/", -1);
        String[] topicLevels = topic.split("/", -1);
        for (int i = 0; i < filterLevels.length; i++) {
            String level = filterLevels[i];
            if (level.equals("#")) {
                // '#' also matches the parent level: "a/#" matches "a".
                return true;
            }
            if (i >= topicLevels.length) {
                return false;
            }
            if (!level.equals("+") && !level.equals(topicLevels[i])) {
                return false;
            }
        }
        return filterLevels.length == topicLevels.length;
    }

    private static int levelEnd(String text, int from) {
        int slash = text.indexOf('/', from);
        return slash < 0 ? text.length() : slash;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof DeadLetterQuery that)) {
            return false;
        }
        return Objects.equals(topicFilter, that.topicFilter) && Objects.equals(subscriptionFilter, that.subscriptionFilter)
                && Objects.equals(from, that.from) && Objects.equals(to, that.to);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topicFilter, subscriptionFilter, from, to);
    }

    @Override
    public String toString() {
        return "DeadLetterQuery{topicFilter=" + topicFilter + ", subscriptionFilter=" + subscriptionFilter
                + ", from=" + from + ", to=" + to + '}';
    }

    /**
     * Builder of {@link DeadLetterQuery}. Each setter rejects an invalid value at once with an
     * {@link IllegalArgumentException} that names it. Not thread-safe.
     */
    public static final class Builder {

        private String topicFilter;
        private String subscriptionFilter;
        private Instant from;
        private Instant to;

        private Builder() {
        }

        /**
         * Selects letters whose message topic matches an MQTT topic filter, for example
         * {@code room/+/light}.
         *
         * @throws IllegalArgumentException if {@code filter} is not a valid MQTT topic filter
         */
        public Builder topicFilter(String filter) {
            Objects.requireNonNull(filter, "topicFilter");
            String problem = checkFilter(filter);
            if (problem != null) {
                throw new IllegalArgumentException("invalid topicFilter '" + filter + "': " + problem);
            }
            this.topicFilter = filter;
            return this;
        }

        /** Selects letters of the subscription made with exactly this filter. */
        public Builder subscriptionFilter(String filter) {
            this.subscriptionFilter = Objects.requireNonNull(filter, "subscriptionFilter");
            return this;
        }

        /** Selects letters dead-lettered at or after {@code from}. */
        public Builder from(Instant from) {
            this.from = Objects.requireNonNull(from, "from");
            return this;
        }

        /** Selects letters dead-lettered before {@code to}. */
        public Builder to(Instant to) {
            this.to = Objects.requireNonNull(to, "to");
            return this;
        }

        /**
         * Builds the query.
         *
         * @throws IllegalArgumentException if {@code to} is before {@code from}
         */
        public DeadLetterQuery build() {
            if (from != null && to != null && to.isBefore(from)) {
                throw new IllegalArgumentException("invalid time range: to " + to + " is before from " + from);
            }
            return new DeadLetterQuery(this);
        }

        private static String checkFilter(String filter) {
            if (filter.isEmpty()) {
                return "a topic filter must be at least one character long";
            }
            int levelStart = 0;
            while (levelStart <= filter.length()) {
                int levelEnd = levelEnd(filter, levelStart);
                String level = filter.substring(levelStart, levelEnd);
                if (level.contains("#") && (!level.equals("#") || levelEnd != filter.length())) {
                    return "multi-level wildcard '#' must be a whole level and the last one";
                }
                if (level.contains("+") && !level.equals("+")) {
                    return "single-level wildcard '+' must be a whole level";
                }
                levelStart = levelEnd + 1;
            }
            return null;
        }
    }
}
