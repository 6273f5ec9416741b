package io.petrel.broker.routing;

/**
 * The parts of a shared subscription filter {@code $share/{group}/{filter}}.
 *
 * @param group  the share name, at least one character, without {@code /}, {@code +} or {@code #}
 * @param filter the topic filter the group subscribes to
 */
public record ShareName(String group, String filter) {

    /** The prefix that marks a shared subscription. */
    public static final String PREFIX = "$share/";

    /** Returns true if {@code filter} starts with {@code $share/}. */
    public static boolean isShared(String filter) {
        return filter.startsWith(PREFIX);
    }

    /**
     * Returns null if {@code filter} is a valid shared subscription filter, otherwise the problem.
     * Call only for filters where {@link #isShared} is true.
     */
    public static String check(String filter) {
        int groupEnd = filter.indexOf('/', PREFIX.length());
        if (groupEnd < 0) {
            return "a shared subscription needs a filter after the share name: $share/{group}/{filter}";
        }
        if (groupEnd == PREFIX.length()) {
            return "the share name of a shared subscription must not be empty";
        }
        for (int i = PREFIX.length(); i < groupEnd; i++) {
            char c = filter.charAt(i);
            if (c == '+' || c == '#') {
                // [MQTT-4.8.2-2]: the share name must not contain wildcards.
                return "the share name must not contain the wildcards '+' or '#'";
            }
        }
        if (groupEnd + 1 == filter.length()) {
            return "the filter of a shared subscription must not be empty";
        }
        String topicFilter = filter.substring(groupEnd + 1);
        String problem = Topics.checkTopicFilter(topicFilter);
        return problem == null ? null : "invalid filter in shared subscription: " + problem;
    }

    /** Splits a filter that passed {@link #check}. */
    public static ShareName parse(String filter) {
        int groupEnd = filter.indexOf('/', PREFIX.length());
        return new ShareName(filter.substring(PREFIX.length(), groupEnd), filter.substring(groupEnd + 1));
    }
}
