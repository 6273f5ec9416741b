package io.petrel.broker.routing;

/**
 * Validation and matching of MQTT topic names and topic filters, shared by MQTT 3.1.1 and 5.0 because
 * both define the same rules in their section 4.7.
 *
 * <p>Rule ids in comments use the MQTT 3.1.1 numbering. MQTT 5.0 keeps the section 4.7 ids and
 * renumbers the UTF-8 string rules from 1.5.3 to 1.5.4.
 *
 * <p>All methods are static, thread-safe and allocate nothing.
 */
public final class Topics {

    /** Maximum length of a topic name or filter in UTF-8 bytes: a UTF-8 string carries a two-byte length. */
    public static final int MAX_LENGTH_BYTES = 65_535;

    public static final String EMPTY = "topic must be at least one character long";
    public static final String NULL_CHARACTER = "topic must not contain the null character U+0000";
    public static final String TOO_LONG = "topic must not be longer than 65535 bytes in UTF-8";
    public static final String UNPAIRED_SURROGATE =
            "topic must be valid UTF-16 without unpaired surrogates, because those have no UTF-8 encoding";
    public static final String WILDCARD_IN_NAME = "topic name must not contain wildcards '+' or '#'";
    public static final String MULTI_LEVEL_NOT_WHOLE_LEVEL =
            "multi-level wildcard '#' must occupy a whole topic level, as in 'a/#'";
    public static final String MULTI_LEVEL_NOT_LAST = "multi-level wildcard '#' must be the last level of the filter";
    public static final String SINGLE_LEVEL_NOT_WHOLE_LEVEL =
            "single-level wildcard '+' must occupy a whole topic level, as in 'a/+/b'";

    private Topics() {
    }

    /**
     * Checks a topic name, as sent in PUBLISH or in a will message.
     *
     * @return {@code null} if the name is valid, otherwise one of the reason constants of this class
     */
    public static String checkTopicName(String topic) {
        int length = topic.length();
        if (length == 0) {
            return EMPTY; // [MQTT-4.7.3-1]
        }
        if (length > MAX_LENGTH_BYTES) {
            return TOO_LONG; // [MQTT-4.7.3-3]: each char encodes to at least one byte
        }
        int utf8Bytes = 0;
        for (int i = 0; i < length; i++) {
            char c = topic.charAt(i);
            if (c < 0x80) {
                if (c == 0) {
                    return NULL_CHARACTER; // [MQTT-4.7.3-2], [MQTT-1.5.3-2]
                }
                if (c == '+' || c == '#') {
                    return WILDCARD_IN_NAME; // [MQTT-4.7.1-1], [MQTT-3.3.2-2]
                }
                utf8Bytes++;
                continue;
            }
            int encoded = utf8Length(topic, i, c);
            if (encoded < 0) {
                return UNPAIRED_SURROGATE; // [MQTT-1.5.3-1]
            }
            if (encoded == 4) {
                i++; // the low surrogate of the pair
            }
            utf8Bytes += encoded;
        }
        if (utf8Bytes > MAX_LENGTH_BYTES) {
            return TOO_LONG; // [MQTT-4.7.3-3]
        }
        return null;
    }

    /**
     * Checks a topic filter, as sent in SUBSCRIBE or UNSUBSCRIBE. A shared subscription filter
     * ({@code $share/group/filter}) passes when the whole string follows the filter rules; its
     * group rules are checked elsewhere.
     *
     * @return {@code null} if the filter is valid, otherwise one of the reason constants of this class
     */
    public static String checkTopicFilter(String filter) {
        int length = filter.length();
        if (length == 0) {
            return EMPTY; // [MQTT-4.7.3-1]
        }
        if (length > MAX_LENGTH_BYTES) {
            return TOO_LONG; // [MQTT-4.7.3-3]: each char encodes to at least one byte
        }
        int utf8Bytes = 0;
        int levelStart = 0;
        for (int i = 0; i < length; i++) {
            char c = filter.charAt(i);
            if (c < 0x80) {
                String reason = checkAsciiInFilter(filter, i, c, levelStart);
                if (reason != null) {
                    return reason;
                }
                if (c == '/') {
                    levelStart = i + 1;
                }
                utf8Bytes++;
                continue;
            }
            int encoded = utf8Length(filter, i, c);
            if (encoded < 0) {
                return UNPAIRED_SURROGATE; // [MQTT-1.5.3-1]
            }
            if (encoded == 4) {
                i++; // the low surrogate of the pair
            }
            utf8Bytes += encoded;
        }
        if (utf8Bytes > MAX_LENGTH_BYTES) {
            return TOO_LONG; // [MQTT-4.7.3-3]
        }
        return null;
    }

    /** Returns true if {@code filter} contains a {@code +} or {@code #} wildcard. */
    public static boolean hasWildcard(String filter) {
        return filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0;
    }

    /**
     * Returns the number of topic levels of a topic name or filter: one more than the number of
     * {@code '/'} separators, so {@code "a"} has one level and {@code "/"} has two empty ones.
     */
    public static int levelCount(String topic) {
        int count = 1;
        for (int i = topic.indexOf('/'); i >= 0; i = topic.indexOf('/', i + 1)) {
            count++;
        }
        return count;
    }

    /**
     * Returns true if {@code filter} matches {@code topic}. Both must be valid (see
     * {@link #checkTopicFilter} and {@link #checkTopicName}); the result for invalid input is unspecified.
     *
     * <p>{@code '+'} matches exactly one level, which may be empty. {@code '#'} matches the parent
     * level and any number of child levels, so {@code a/#} matches {@code a}. A topic starting with
     * {@code '$'} is not matched by a filter whose first level is a wildcard. Comparison is by
     * exact characters with no normalization [MQTT-4.7.3-4].
     */
    public static boolean matches(String filter, String topic) {
        if (startsWithDollar(topic) && !filter.isEmpty()
                && (filter.charAt(0) == '+' || filter.charAt(0) == '#')) {
            return false; // [MQTT-4.7.2-1]
        }
        int filterLength = filter.length();
        int topicLength = topic.length();
        int filterStart = 0;
        int topicStart = 0;
        while (true) {
            int filterEnd = levelEnd(filter, filterStart);
            if (isLevel(filter, filterStart, filterEnd, '#')) {
                return true; // '#' matches the remaining levels, none included
            }
            if (topicStart > topicLength) {
                return false; // the filter has a level left that the topic lacks
            }
            int topicEnd = levelEnd(topic, topicStart);
            boolean levelMatches = isLevel(filter, filterStart, filterEnd, '+')
                    || (filterEnd - filterStart == topicEnd - topicStart
                            && filter.regionMatches(filterStart, topic, topicStart, filterEnd - filterStart));
            if (!levelMatches) {
                return false;
            }
            filterStart = filterEnd + 1;
            topicStart = topicEnd + 1;
            if (filterStart > filterLength) {
                return topicStart > topicLength;
            }
        }
    }

    /** Returns true if the topic is a server topic such as {@code $SYS/...}, which wildcards at the first level skip. */
    public static boolean startsWithDollar(String topic) {
        return !topic.isEmpty() && topic.charAt(0) == '$';
    }

    /** Returns the index of the {@code '/'} ending the level that starts at {@code start}, or the string length. */
    static int levelEnd(String topic, int start) {
        int end = topic.indexOf('/', start);
        return end < 0 ? topic.length() : end;
    }

    /** Returns true if the level {@code [start, end)} of {@code topic} is the single character {@code c}. */
    static boolean isLevel(String topic, int start, int end, char c) {
        return end - start == 1 && topic.charAt(start) == c;
    }

    private static String checkAsciiInFilter(String filter, int i, char c, int levelStart) {
        if (c == 0) {
            return NULL_CHARACTER; // [MQTT-4.7.3-2], [MQTT-1.5.3-2]
        }
        boolean lastChar = i + 1 == filter.length();
        boolean wholeLevel = i == levelStart && (lastChar || filter.charAt(i + 1) == '/');
        if (c == '#') {
            if (!wholeLevel) {
                return MULTI_LEVEL_NOT_WHOLE_LEVEL; // [MQTT-4.7.1-2]
            }
            if (!lastChar) {
                return MULTI_LEVEL_NOT_LAST; // [MQTT-4.7.1-2]
            }
        }
        if (c == '+' && !wholeLevel) {
            return SINGLE_LEVEL_NOT_WHOLE_LEVEL; // [MQTT-4.7.1-3]
        }
        return null;
    }

    /**
     * Returns the UTF-8 length of the non-ASCII char {@code c} at {@code i}: 2 or 3, 4 for a surrogate
     * pair starting at {@code i}, or -1 for an unpaired surrogate.
     */
    private static int utf8Length(String text, int i, char c) {
        if (c < 0x800) {
            return 2;
        }
        if (Character.isHighSurrogate(c)) {
            boolean paired = i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
            return paired ? 4 : -1;
        }
        if (Character.isLowSurrogate(c)) {
            return -1;
        }
        return 3;
    }
}
