package io.petrel.broker.local;

import io.petrel.api.RetryPolicy;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetryPolicyTest {

    @Test
    void noneCallsHandlerOnce() {
        assertEquals(1, RetryPolicy.none().maxAttempts());
    }

    @Test
    void defaultsAreDocumentedValues() {
        RetryPolicy policy = RetryPolicy.defaults();

        assertEquals(3, policy.maxAttempts());
        assertEquals(Duration.ofMillis(100), policy.initialDelay());
        assertEquals(2.0, policy.multiplier());
        assertEquals(Duration.ofSeconds(10), policy.maxDelay());
        assertEquals(RetryPolicy.Jitter.PROPORTIONAL, policy.jitter());
        assertEquals(0.2, policy.jitterFactor());
    }

    @Test
    void baseDelayGrowsByMultiplierUpToCap() {
        RetryPolicy policy = RetryPolicy.builder()
                .initialDelay(Duration.ofMillis(100))
                .multiplier(3.0)
                .maxDelay(Duration.ofSeconds(1))
                .build();

        assertEquals(Duration.ofMillis(100), policy.baseDelay(1));
        assertEquals(Duration.ofMillis(300), policy.baseDelay(2));
        assertEquals(Duration.ofMillis(900), policy.baseDelay(3));
        assertEquals(Duration.ofSeconds(1), policy.baseDelay(4));
        assertEquals(Duration.ofSeconds(1), policy.baseDelay(1_000));
    }

    @Test
    void noJitterUsesBaseDelay() {
        RetryPolicy policy = RetryPolicy.builder().initialDelay(Duration.ofMillis(50)).noJitter().build();

        assertEquals(Duration.ofMillis(100), policy.delay(2, 0.0));
        assertEquals(Duration.ofMillis(100), policy.delay(2, 0.999));
    }

    @Test
    void fullJitterSpreadsFromZeroToBaseDelay() {
        RetryPolicy policy = RetryPolicy.builder().initialDelay(Duration.ofMillis(200)).fullJitter().build();

        assertEquals(Duration.ZERO, policy.delay(1, 0.0));
        assertEquals(Duration.ofMillis(100), policy.delay(1, 0.5));
        assertTrue(policy.delay(1, 0.999_999).compareTo(Duration.ofMillis(200)) < 0);
    }

    @Test
    void proportionalJitterStaysWithinFactorAndCap() {
        RetryPolicy policy = RetryPolicy.builder()
                .initialDelay(Duration.ofMillis(1_000))
                .maxDelay(Duration.ofMillis(1_100))
                .proportionalJitter(0.25)
                .build();

        assertEquals(Duration.ofMillis(750), policy.delay(1, 0.0));
        assertEquals(Duration.ofMillis(1_000), policy.delay(1, 0.5));
        assertEquals(Duration.ofMillis(1_100), policy.delay(1, 0.99), "capped at maxDelay");
    }

    @Test
    void builderRejectsZeroAttempts() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> RetryPolicy.builder().maxAttempts(0));

        assertTrue(error.getMessage().contains("maxAttempts 0"), error.getMessage());
    }

    @Test
    void builderRejectsNegativeInitialDelay() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> RetryPolicy.builder().initialDelay(Duration.ofMillis(-1)));

        assertTrue(error.getMessage().contains("initialDelay"), error.getMessage());
    }

    @Test
    void builderRejectsMultiplierBelowOne() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> RetryPolicy.builder().multiplier(0.5));

        assertTrue(error.getMessage().contains("multiplier 0.5"), error.getMessage());
    }

    @Test
    void builderRejectsNanMultiplier() {
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().multiplier(Double.NaN));
    }

    @Test
    void builderRejectsJitterFactorAboveOne() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> RetryPolicy.builder().proportionalJitter(1.5));

        assertTrue(error.getMessage().contains("jitter factor 1.5"), error.getMessage());
    }

    @Test
    void buildRejectsMaxDelayBelowInitialDelay() {
        RetryPolicy.Builder builder = RetryPolicy.builder()
                .initialDelay(Duration.ofSeconds(5))
                .maxDelay(Duration.ofSeconds(1));

        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, builder::build);

        assertTrue(error.getMessage().contains("maxDelay PT1S"), error.getMessage());
    }

    @Test
    void delayRejectsRandomOutsideUnitInterval() {
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.defaults().delay(1, 1.0));
    }

    @Test
    void delayRejectsAttemptZero() {
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.defaults().delay(0, 0.5));
    }

    @Test
    void toBuilderKeepsValues() {
        RetryPolicy policy = RetryPolicy.builder().maxAttempts(7).fullJitter().build();

        assertEquals(policy, policy.toBuilder().build());
    }
}
