package io.petrel.broker.observability;

/**
 * Makes text that a client chose, such as a client identifier or a topic name, safe to put into a
 * log line. MQTT allows control characters in these strings, and a line break in one would let a
 * client append a line of its own making to the broker's log.
 */
public final class LogText {

    /** The characters of a value that a log line shows. An MQTT string may have up to 65,535 bytes. */
    static final int MAX_CHARS = 512;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private LogText() {
    }

    /**
     * Returns {@code text} for a log line: each control character, line separator and bidirectional
     * formatting character written as a Java escape ({@code \n}, {@code \r}, {@code \t} or
     * {@code \}{@code uXXXX}), each backslash doubled so that an escape cannot be faked, and text
     * beyond {@value #MAX_CHARS} characters replaced by its length. Returns {@code text} itself when
     * nothing needs changing, and null for null.
     */
    public static String printable(String text) {
        if (text == null) {
            return null;
        }
        int end = Math.min(text.length(), MAX_CHARS);
        int first = 0;
        while (first < end && !needsEscape(text.charAt(first))) {
            first++;
        }
        if (first == text.length()) {
            return text;
        }
        StringBuilder printable = new StringBuilder(end + 16).append(text, 0, first);
        for (int i = first; i < end; i++) {
            char c = text.charAt(i);
            if (!needsEscape(c)) {
                printable.append(c);
            } else if (c == '\\') {
                printable.append("\\\\");
            } else if (c == '\n') {
                printable.append("\\n");
            } else if (c == '\r') {
                printable.append("\\r");
            } else if (c == '\t') {
                printable.append("\\t");
            } else {
                printable.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xF])
                        .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
            }
        }
        if (end < text.length()) {
            printable.append("... (").append(text.length()).append(" characters)");
        }
        return printable.toString();
    }

    /**
     * Returns true for the backslash, the C0 and C1 control characters, the Unicode line and
     * paragraph separators, and the bidirectional formatting characters, which can make a terminal
     * show the rest of a line in another order.
     */
    private static boolean needsEscape(char c) {
        return c < 0x20 || c == '\\' || (c >= 0x7F && c <= 0x9F) || c == '\u2028' || c == '\u2029'
                || c == '\u200E' || c == '\u200F' || (c >= '\u202A' && c <= '\u202E')
                || (c >= '\u2066' && c <= '\u2069');
    }
}
