package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class DeadLetterRetentionTest {

    @Test
    void keepForeverHasNoLimits() {
        DeadLetterRetention retention = DeadLetterRetention.keepForever();

        assertEquals(Optional.empty(), retention.maxAge());
        assertEquals(OptionalLong.empty(), retention.maxBytes());
    }

    @Test
    void limitsCombine() {
        DeadLetterRetention retention = DeadLetterRetention.keepForever().withMaxAge(Duration.ofDays(7))
                .withMaxBytes(1_024);

        assertEquals(Optional.of(Duration.ofDays(7)), retention.maxAge());
        assertEquals(OptionalLong.of(1_024), retention.maxBytes());
        assertEquals(DeadLetterRetention.keepForever().withMaxBytes(1_024).withMaxAge(Duration.ofDays(7)), retention);
    }

    @Test
    void invalidLimitsRejected() {
        DeadLetterRetention retention = DeadLetterRetention.keepForever();

        IllegalArgumentException age = assertThrows(IllegalArgumentException.class,
                () -> retention.withMaxAge(Duration.ZERO));
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> retention.withMaxBytes(0));

        assertTrue(age.getMessage().contains("PT0S"), age.getMessage());
        assertTrue(size.getMessage().contains("0 bytes"), size.getMessage());
    }
}
