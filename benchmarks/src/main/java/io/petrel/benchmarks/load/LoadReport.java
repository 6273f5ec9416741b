package io.petrel.benchmarks.load;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The results of one run as ordered key, description and value rows, printed as one machine-readable
 * line ({@code RESULT key=value ...}) and as a table for people. Keys are lowercase with underscores,
 * and carry their unit ({@code _us}, {@code _bytes}, {@code _per_s}). Not thread-safe.
 */
final class LoadReport {

    /** Value of a figure that could not be measured, for example without {@code --broker-pid}. */
    static final String NOT_MEASURED = "na";

    private final List<Row> rows = new ArrayList<>();

    /** Adds a text or integer figure. */
    LoadReport add(String key, String description, Object value) {
        rows.add(new Row(key, description, String.valueOf(value)));
        return this;
    }

    /** Adds a decimal figure with {@code decimals} digits after the point. */
    LoadReport add(String key, String description, double value, int decimals) {
        String text = Double.isFinite(value) ? String.format(Locale.ROOT, "%." + decimals + "f", value) : NOT_MEASURED;
        rows.add(new Row(key, description, text));
        return this;
    }

    /**
     * Returns the value of {@code key} as printed, or {@code null} if the report has no such key.
     */
    String value(String key) {
        for (Row row : rows) {
            if (row.key.equals(key)) {
                return row.value;
            }
        }
        return null;
    }

    /** Prints the {@code RESULT} line and then the table. */
    void print(PrintStream out) {
        StringBuilder line = new StringBuilder("RESULT");
        for (Row row : rows) {
            line.append(' ').append(row.key).append('=').append(withoutSpaces(row.value));
        }
        out.println(line);
        int width = rows.stream().mapToInt(row -> row.description.length()).max().orElse(0);
        for (Row row : rows) {
            out.printf(Locale.ROOT, "  %-" + width + "s  %s%n", row.description, row.value);
        }
    }

    /** Returns {@code value} with every space and whitespace character, such as U+00A0, replaced by '_'. */
    static String withoutSpaces(String value) {
        StringBuilder text = new StringBuilder(value.length());
        value.codePoints().forEach(c -> {
            if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                text.append('_');
            } else {
                text.appendCodePoint(c);
            }
        });
        return text.toString();
    }

    private record Row(String key, String description, String value) {
    }
}
