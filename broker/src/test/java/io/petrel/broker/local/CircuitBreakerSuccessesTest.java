package io.petrel.broker.local;

import io.petrel.api.CircuitBreakerPolicy;
import io.petrel.api.CircuitState;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link CircuitBreaker#recordSuccesses}, which a drain calls once for a batch of successful calls. */
class CircuitBreakerSuccessesTest {

    private static final IllegalStateException FAILURE = new IllegalStateException("sensor offline");

    @Test
    void batchOfSuccessesResetsConsecutiveFailures() {
        CircuitBreaker breaker = new CircuitBreaker(CircuitBreakerPolicy.builder().consecutiveFailures(3).build());

        breaker.record(FAILURE, false, 0);
        breaker.record(FAILURE, false, 0);
        breaker.recordSuccesses(4);
        breaker.record(FAILURE, false, 0);
        breaker.record(FAILURE, false, 0);
        assertEquals(CircuitState.CLOSED, breaker.state());

        breaker.record(FAILURE, false, 0);
        assertEquals(CircuitState.OPEN, breaker.state());
    }

    @Test
    void batchOfSuccessesFillsWindowLikeSingleRecords() {
        CircuitBreakerPolicy policy = CircuitBreakerPolicy.builder()
                .consecutiveFailures(0)
                .failureRate(0.75, 4, 4)
                .build();
        CircuitBreaker batched = new CircuitBreaker(policy);
        CircuitBreaker single = new CircuitBreaker(policy);

        batched.recordSuccesses(6);
        for (int i = 0; i < 6; i++) {
            single.record(null, false, 0);
        }
        for (CircuitBreaker breaker : new CircuitBreaker[] {batched, single}) {
            breaker.record(FAILURE, false, 0);
            breaker.record(FAILURE, false, 0);
        }
        assertEquals(CircuitState.CLOSED, batched.state());
        assertEquals(CircuitState.CLOSED, single.state());

        // The window now contains one success and three failures: the rate reaches 0.75.
        batched.record(FAILURE, false, 0);
        single.record(FAILURE, false, 0);
        assertEquals(CircuitState.OPEN, batched.state());
        assertEquals(CircuitState.OPEN, single.state());
    }

    @Test
    void batchOfSuccessesLeavesOpenCircuitAlone() {
        CircuitBreaker breaker = new CircuitBreaker(CircuitBreakerPolicy.builder().consecutiveFailures(1).build());
        breaker.record(FAILURE, false, 0);

        breaker.recordSuccesses(5);

        assertEquals(CircuitState.OPEN, breaker.state());
    }
}
