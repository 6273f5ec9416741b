package io.petrel.broker.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class LogTextTest {

    @Test
    void plainTextReturnedAsItIs() {
        String text = "sensors/kitchen/temperature é";

        assertSame(text, LogText.printable(text));
    }

    @Test
    void lineBreaksAndTabsEscaped() {
        assertEquals("a\\nb\\r\\nc\\td", LogText.printable("a\nb\r\nc\td"));
    }

    @Test
    void otherControlCharactersEscaped() {
        assertEquals("\\u0000\\u001b[31m\\u007f\\u0085", LogText.printable("\u0000\u001b[31m\u007f\u0085"));
    }

    @Test
    void unicodeLineSeparatorsEscaped() {
        assertEquals("x\\u2028y\\u2029", LogText.printable("x\u2028y\u2029"));
    }

    @Test
    void bidirectionalControlsEscaped() {
        assertEquals("take\\u202edcba\\u2066", LogText.printable("take\u202edcba\u2066"));
    }

    @Test
    void invisibleFormatCharactersEscaped() {
        assertEquals("vic\\u200btim\\u061c\\ufeff\\udb40\\udc41", LogText.printable("vic\u200btim\u061c\ufeff\udb40\udc41"));
    }

    @Test
    void unpairedSurrogateEscaped() {
        assertEquals("a\\ud83d", LogText.printable("a\ud83d"));
    }

    @Test
    void emojiKept() {
        String text = "sensors/\ud83d\ude00";

        assertSame(text, LogText.printable(text));
    }

    @Test
    void cutKeepsSurrogatePairWhole() {
        String text = "a".repeat(LogText.MAX_CHARS - 1) + "\ud83d\ude00" + "#";

        assertEquals("a".repeat(LogText.MAX_CHARS - 1) + "... (" + (LogText.MAX_CHARS + 2) + " characters)",
                LogText.printable(text));
    }

    @Test
    void backslashDoubled() {
        assertEquals("lit\\\\n and \\n", LogText.printable("lit\\n and \n"));
    }

    @Test
    void longTextCutWithLength() {
        String text = "a".repeat(LogText.MAX_CHARS + 100);

        assertEquals("a".repeat(LogText.MAX_CHARS) + "... (" + (LogText.MAX_CHARS + 100) + " characters)",
                LogText.printable(text));
    }

    @Test
    void textOfMaximumLengthKept() {
        String text = "b".repeat(LogText.MAX_CHARS);

        assertSame(text, LogText.printable(text));
    }

    @Test
    void nullStaysNull() {
        assertNull(LogText.printable(null));
    }
}
