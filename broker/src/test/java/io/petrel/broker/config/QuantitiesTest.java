package io.petrel.broker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class QuantitiesTest {

    @Test
    void bytesAcceptUnits() {
        assertEquals(0, Quantities.parseBytes("k", "0"));
        assertEquals(1_000, Quantities.parseBytes("k", "1000"));
        assertEquals(2_048, Quantities.parseBytes("k", "2KB"));
        assertEquals(512L << 20, Quantities.parseBytes("k", "512MB"));
        assertEquals(512L << 20, Quantities.parseBytes("k", "512 mb"));
        assertEquals(3L << 30, Quantities.parseBytes("k", "3GiB"));
        assertEquals(1L << 40, Quantities.parseBytes("k", "1T"));
    }

    @Test
    void bytesRejectOverflow() {
        IllegalArgumentException rejected = assertThrows(IllegalArgumentException.class,
                () -> Quantities.parseBytes("persistence.max_size", "9000000TB"));

        assertEquals("invalid persistence.max_size = 9000000TB: expected a size below 8 EB", rejected.getMessage());
    }

    @Test
    void bytesNameKeyValueAndForm() {
        IllegalArgumentException rejected = assertThrows(IllegalArgumentException.class,
                () -> Quantities.parseBytes("persistence.max_size", "lots"));

        assertEquals("invalid persistence.max_size = lots: expected " + Quantities.SIZE_FORM, rejected.getMessage());
    }

    @Test
    void durationsAcceptUnits() {
        assertEquals(Duration.ZERO, Quantities.parseDuration("k", "0"));
        assertEquals(Duration.ofMillis(250), Quantities.parseDuration("k", "250ms"));
        assertEquals(Duration.ofSeconds(30), Quantities.parseDuration("k", "30s"));
        assertEquals(Duration.ofMinutes(5), Quantities.parseDuration("k", "5m"));
        assertEquals(Duration.ofHours(12), Quantities.parseDuration("k", "12h"));
        assertEquals(Duration.ofDays(7), Quantities.parseDuration("k", "7D"));
    }

    @Test
    void durationsRejectNegative() {
        assertThrows(IllegalArgumentException.class, () -> Quantities.parseDuration("k", "-1d"));
    }
}
