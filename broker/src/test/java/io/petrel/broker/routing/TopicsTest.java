package io.petrel.broker.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopicsTest {

    private static final String EURO = "\u20ac"; // three bytes in UTF-8
    private static final String E_ACUTE = "\u00e9"; // two bytes in UTF-8
    private static final String EMOJI = "\uD83D\uDE00"; // a surrogate pair, four bytes in UTF-8

    @ParameterizedTest
    @MethodSource("validNames")
    void validTopicNameHasNoReason(String topic) {
        assertNull(Topics.checkTopicName(topic));
    }

    static Stream<String> validNames() {
        return Stream.of("a", "/", "a/b", "a//b", "/a", "a/", " ", "$SYS/broker/uptime", "site/1/device/2/temp",
                E_ACUTE + "/" + EURO, EMOJI, "a" + EMOJI + "b", "a".repeat(65_535), EURO.repeat(21_845));
    }

    @ParameterizedTest
    @MethodSource("invalidNames")
    void invalidTopicNameHasReason(String topic, String reason) {
        assertEquals(reason, Topics.checkTopicName(topic));
    }

    static Stream<Arguments> invalidNames() {
        return Stream.of(
                Arguments.of("", Topics.EMPTY),
                Arguments.of("a\u0000b", Topics.NULL_CHARACTER),
                Arguments.of("\u0000", Topics.NULL_CHARACTER),
                Arguments.of("a/+", Topics.WILDCARD_IN_NAME),
                Arguments.of("+", Topics.WILDCARD_IN_NAME),
                Arguments.of("#", Topics.WILDCARD_IN_NAME),
                Arguments.of("a/#", Topics.WILDCARD_IN_NAME),
                Arguments.of("a+b", Topics.WILDCARD_IN_NAME),
                Arguments.of("a#b", Topics.WILDCARD_IN_NAME),
                Arguments.of("\uD800", Topics.UNPAIRED_SURROGATE),
                Arguments.of("a\uDC00", Topics.UNPAIRED_SURROGATE),
                Arguments.of("\uD800a", Topics.UNPAIRED_SURROGATE),
                Arguments.of("\uDE00\uD83D", Topics.UNPAIRED_SURROGATE),
                Arguments.of("a".repeat(65_536), Topics.TOO_LONG),
                Arguments.of(E_ACUTE.repeat(32_768), Topics.TOO_LONG),
                Arguments.of(EURO.repeat(21_846), Topics.TOO_LONG),
                Arguments.of(EMOJI.repeat(16_384), Topics.TOO_LONG));
    }

    @ParameterizedTest
    @MethodSource("validFilters")
    void validTopicFilterHasNoReason(String filter) {
        assertNull(Topics.checkTopicFilter(filter));
    }

    static Stream<String> validFilters() {
        return Stream.of("a", "#", "+", "a/#", "+/+", "a/+/b", "/+", "+/", "a//b", "/a", "/", "$SYS/#", "+/#",
                "a/+/#", "$share/group/a/#", "site/+/device/+/temp", EMOJI + "/+", "a".repeat(65_535),
                "+/".repeat(32_767) + "#");
    }

    @ParameterizedTest
    @MethodSource("invalidFilters")
    void invalidTopicFilterHasReason(String filter, String reason) {
        assertEquals(reason, Topics.checkTopicFilter(filter));
    }

    static Stream<Arguments> invalidFilters() {
        return Stream.of(
                Arguments.of("", Topics.EMPTY),
                Arguments.of("a\u0000", Topics.NULL_CHARACTER),
                Arguments.of("a#", Topics.MULTI_LEVEL_NOT_WHOLE_LEVEL),
                Arguments.of("#a", Topics.MULTI_LEVEL_NOT_WHOLE_LEVEL),
                Arguments.of("a/b#", Topics.MULTI_LEVEL_NOT_WHOLE_LEVEL),
                Arguments.of("##", Topics.MULTI_LEVEL_NOT_WHOLE_LEVEL),
                Arguments.of("a/#/b", Topics.MULTI_LEVEL_NOT_LAST),
                Arguments.of("#/a", Topics.MULTI_LEVEL_NOT_LAST),
                Arguments.of("#/", Topics.MULTI_LEVEL_NOT_LAST),
                Arguments.of("a+", Topics.SINGLE_LEVEL_NOT_WHOLE_LEVEL),
                Arguments.of("a/+b", Topics.SINGLE_LEVEL_NOT_WHOLE_LEVEL),
                Arguments.of("+a/b", Topics.SINGLE_LEVEL_NOT_WHOLE_LEVEL),
                Arguments.of("++", Topics.SINGLE_LEVEL_NOT_WHOLE_LEVEL),
                Arguments.of("+#", Topics.SINGLE_LEVEL_NOT_WHOLE_LEVEL),
                Arguments.of("a/\uD800", Topics.UNPAIRED_SURROGATE),
                Arguments.of("\uDC00/#", Topics.UNPAIRED_SURROGATE),
                Arguments.of("a".repeat(65_536), Topics.TOO_LONG),
                Arguments.of(EURO.repeat(21_846), Topics.TOO_LONG));
    }

    @ParameterizedTest
    @MethodSource("matchCases")
    void matchesFollowsSpecification(String filter, String topic, boolean expected) {
        assertEquals(expected, Topics.matches(filter, topic), () -> "filter '" + filter + "', topic '" + topic + "'");
    }

    static Stream<Arguments> matchCases() {
        return Stream.of(
                Arguments.of("a/b", "a/b", true),
                Arguments.of("a/b", "a/b/", false),
                Arguments.of("a/b", "a", false),
                Arguments.of("a", "a/b", false),
                Arguments.of("a/b", "A/b", false),
                Arguments.of("a//b", "a//b", true),
                Arguments.of("a/b", "a//b", false),
                Arguments.of("#", "a", true),
                Arguments.of("#", "a/b/c", true),
                Arguments.of("#", "/", true),
                Arguments.of("#", "$SYS/x", false),
                Arguments.of("#", "$", false),
                Arguments.of("+/x", "$SYS/x", false),
                Arguments.of("+", "$SYS", false),
                Arguments.of("+/#", "$SYS/x", false),
                Arguments.of("$SYS/#", "$SYS/x", true),
                Arguments.of("$SYS/#", "$SYS", true),
                Arguments.of("$SYS/+", "$SYS/x", true),
                Arguments.of("a/+/$x", "a/b/$x", true),
                Arguments.of("+/$x", "a/$x", true),
                Arguments.of("a/#", "a", true),
                Arguments.of("a/#", "a/", true),
                Arguments.of("a/#", "a/b/c", true),
                Arguments.of("a/#", "ab", false),
                Arguments.of("a/#", "b/a", false),
                Arguments.of("+/#", "a", true),
                Arguments.of("a/b/#", "a", false),
                Arguments.of("a/+", "a/", true),
                Arguments.of("a/+", "a", false),
                Arguments.of("a/+", "a/b/c", false),
                Arguments.of("+/+", "/", true),
                Arguments.of("+", "/", false),
                Arguments.of("/+", "/", true),
                Arguments.of("+", "a", true),
                Arguments.of("a/+/b", "a//b", true),
                Arguments.of("a/+/b", "a/x/b", true),
                Arguments.of("a/+/b", "a/x/c", false),
                Arguments.of("+/+/+", "a/b", false),
                Arguments.of("site/+/device/+/temp", "site/1/device/2/temp", true),
                Arguments.of("site/+/device/+/temp", "site/1/device/2/rh", false));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "/", "a/b", "a//b/", "+/+/#"})
    void levelCountIsSeparatorsPlusOne(String topic) {
        long separators = topic.chars().filter(c -> c == '/').count();
        assertEquals(separators + 1, Topics.levelCount(topic));
    }

    @Test
    void startsWithDollarOnlyForFirstCharacter() {
        assertEquals(true, Topics.startsWithDollar("$SYS"));
        assertEquals(false, Topics.startsWithDollar("a/$SYS"));
        assertEquals(false, Topics.startsWithDollar(""));
    }
}
