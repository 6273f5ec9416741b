package io.petrel.broker.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class LogTextTest {

    @Test
    void plainTextReturnedAsItIs() {
        String text = "sensors/kitchen/temperature é";

        assertSame(text, LogText.escape(text));
    }

    @Test
    void lineBreaksAndTabsEscaped() {
        assertEquals("a\\nb\\r\\nc\\td", LogText.escape("a\nb\r\nc\td"));
    }

    @Test
    void otherControlCharactersEscaped() {
        assertEquals("\\u0000\\u001b[31m\\u007f\\u0085", LogText.escape("\u0000\u001b[31m\u007f\u0085"));
    }

    @Test
    void unicodeLineSeparatorsEscaped() {
        assertEquals("x\\u2028y\\u2029", LogText.escape("x\u2028y\u2029"));
    }

    @Test
    void nullStaysNull() {
        assertNull(LogText.escape(null));
    }
}
