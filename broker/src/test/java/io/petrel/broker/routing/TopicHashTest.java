package io.petrel.broker.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TopicHashTest {

    @Test
    void lengthIsNotCancelledByFirstCharacters() {
        // A text of 2n + 1 characters and one of 2n + 2 that ends in U+0000 take the same number of steps.
        // If the length only went into the seed by XOR, changing the first character by (2n + 1) ^ (2n + 2)
        // would cancel it, and the two texts would have one hash for every seed.
        Random random = new Random(7);
        for (int n = 0; n < 200; n++) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 2 * n + 1; i++) {
                text.append((char) ('a' + random.nextInt(26)));
            }
            String odd = text.toString();
            text.setCharAt(0, (char) (odd.charAt(0) ^ ((2 * n + 1) ^ (2 * n + 2))));
            String even = text.append('\u0000').toString();

            String escapedEven = even.replace("\u0000", "\\u0000");
            assertNotEquals(TopicHash.of(odd), TopicHash.of(even), () -> "'" + odd + "' and '" + escapedEven + "'");
        }
    }

    @Test
    void rangeHashEqualsSubstringHash() {
        String topic = "site/temperature-sensor/\u20ac/x";

        assertEquals(TopicHash.of("temperature-sensor"), TopicHash.of(topic, 5, 23));
        assertEquals(TopicHash.of("\u20ac"), TopicHash.of(topic, 24, 25));
        assertEquals(TopicHash.of(""), TopicHash.of(topic, 4, 4));
    }
}
