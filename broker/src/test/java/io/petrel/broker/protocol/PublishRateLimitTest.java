package io.petrel.broker.protocol;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PublishRateLimitTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void burstUpToRateThenRefused() {
        PublishRateLimit limit = new PublishRateLimit(3, 0);

        assertTrue(limit.tryAcquire(0));
        assertTrue(limit.tryAcquire(0));
        assertTrue(limit.tryAcquire(0));
        assertFalse(limit.tryAcquire(0));
    }

    @Test
    void tokensRefillOverTime() {
        PublishRateLimit limit = new PublishRateLimit(2, 0);
        limit.tryAcquire(0);
        limit.tryAcquire(0);

        assertFalse(limit.tryAcquire(SECOND / 4));
        assertTrue(limit.tryAcquire(SECOND / 2));
        assertFalse(limit.tryAcquire(SECOND / 2));
    }

    @Test
    void refillCappedAtOneSecond() {
        PublishRateLimit limit = new PublishRateLimit(2, 0);

        long later = 10 * SECOND;
        assertTrue(limit.tryAcquire(later));
        assertTrue(limit.tryAcquire(later));
        assertFalse(limit.tryAcquire(later));
    }
}
