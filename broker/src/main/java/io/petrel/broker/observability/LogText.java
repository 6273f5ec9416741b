package io.petrel.broker.observability;

/**
 * Makes text that a client chose, such as a client identifier or a topic name, safe to put into a
 * log line. MQTT allows control characters in these strings, and a line break in one would let a
 * client append a line of its own making to the broker's log.
 */
public final class LogText {

    /** The maximum number of characters of one value in a log line. An MQTT string may have up to 65,535 bytes. */
    static final int MAX_CHARS = 512;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private LogText() {
    }

    /**
     * Returns {@code text} for a log line. Control characters, line and paragraph separators,
     * invisible formatting characters (Unicode category Cf, which includes the bidirectional
     * controls and zero-width characters) and unpaired surrogates are written as Java escapes
     * ({@code \n}, {@code \r}, {@code \t} or {@code \}{@code uXXXX} per UTF-16 unit). Each backslash
     * is doubled so that an escape cannot be faked, and text beyond {@value #MAX_CHARS} characters
     * is replaced by its length. Returns {@code text} itself when nothing needs changing, and null
     * for null.
     */
    public static String printable(String text) {
        if (text == null) {
            return null;
        }
        int end = text.length();
        if (end > MAX_CHARS) {
            // Cut before a surrogate pair rather than through it.
            end = Character.isLowSurrogate(text.charAt(MAX_CHARS)) ? MAX_CHARS - 1 : MAX_CHARS;
        }
        int first = 0;
        while (first < end) {
            int codePoint = text.codePointAt(first);
            if (needsEscape(codePoint)) {
                break;
            }
            first += Character.charCount(codePoint);
        }
        if (first >= text.length()) {
            return text;
        }
        StringBuilder printable = new StringBuilder(end + 16).append(text, 0, first);
        int i = first;
        while (i < end) {
            int codePoint = text.codePointAt(i);
            int length = Character.charCount(codePoint);
            if (!needsEscape(codePoint)) {
                printable.appendCodePoint(codePoint);
            } else if (codePoint == '\\') {
                printable.append("\\\\");
            } else if (codePoint == '\n') {
                printable.append("\\n");
            } else if (codePoint == '\r') {
                printable.append("\\r");
            } else if (codePoint == '\t') {
                printable.append("\\t");
            } else {
                for (int unit = i; unit < i + length; unit++) {
                    appendUnitEscape(printable, text.charAt(unit));
                }
            }
            i += length;
        }
        if (end < text.length()) {
            printable.append("... (").append(text.length()).append(" characters)");
        }
        return printable.toString();
    }

    /**
     * Returns true for the backslash, control characters, line and paragraph separators, formatting
     * characters and unpaired surrogates.
     */
    private static boolean needsEscape(int codePoint) {
        if (codePoint == '\\') {
            return true;
        }
        int type = Character.getType(codePoint);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE;
    }

    private static void appendUnitEscape(StringBuilder out, char unit) {
        out.append("\\u").append(HEX[unit >> 12]).append(HEX[(unit >> 8) & 0xF]).append(HEX[(unit >> 4) & 0xF])
                .append(HEX[unit & 0xF]);
    }
}
