package io.petrel.broker.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the sizes and durations of configuration values: a decimal integer followed by a unit,
 * such as {@code 512MB} or {@code 7d}. Size units are powers of 1024.
 */
final class Quantities {

    /** The forms a size may take, for error messages. */
    static final String SIZE_FORM = "a number of bytes with an optional unit B, KB, MB, GB or TB "
            + "(powers of 1024), such as 536870912 or 512MB";

    /** The forms a duration may take, for error messages. */
    static final String DURATION_FORM = "0, or a whole number with a unit ms, s, m, h or d, such as 12h or 7d";

    private static final Pattern QUANTITY = Pattern.compile("(\\d+)\\s*([a-zA-Z]*)");

    private Quantities() {
    }

    /**
     * Parses a size in bytes.
     *
     * @throws IllegalArgumentException naming the key, the value and the expected form
     */
    static long parseBytes(String key, String value) {
        Matcher matcher = QUANTITY.matcher(value.trim());
        if (!matcher.matches()) {
            throw invalid(key, value, SIZE_FORM);
        }
        long multiplier = switch (matcher.group(2).toUpperCase(Locale.ROOT)) {
            case "", "B" -> 1L;
            case "K", "KB", "KIB" -> 1L << 10;
            case "M", "MB", "MIB" -> 1L << 20;
            case "G", "GB", "GIB" -> 1L << 30;
            case "T", "TB", "TIB" -> 1L << 40;
            default -> throw invalid(key, value, SIZE_FORM);
        };
        try {
            return Math.multiplyExact(Long.parseLong(matcher.group(1)), multiplier);
        } catch (ArithmeticException | NumberFormatException e) {
            throw invalid(key, value, "a size below 8 EB");
        }
    }

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException naming the key, the value and the expected form
     */
    static Duration parseDuration(String key, String value) {
        Matcher matcher = QUANTITY.matcher(value.trim());
        if (!matcher.matches()) {
            throw invalid(key, value, DURATION_FORM);
        }
        long amount;
        try {
            amount = Long.parseLong(matcher.group(1));
        } catch (NumberFormatException e) {
            throw invalid(key, value, DURATION_FORM);
        }
        String unit = matcher.group(2).toLowerCase(Locale.ROOT);
        if (unit.isEmpty() && amount == 0) {
            return Duration.ZERO;
        }
        try {
            return switch (unit) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                case "d" -> Duration.ofDays(amount);
                default -> throw invalid(key, value, DURATION_FORM);
            };
        } catch (ArithmeticException e) {
            throw invalid(key, value, "a shorter duration");
        }
    }

    private static IllegalArgumentException invalid(String key, String value, String expected) {
        String displayedValue = value.isEmpty() ? "''" : value;
        return new IllegalArgumentException("invalid " + key + " = " + displayedValue + ": expected " + expected);
    }
}
