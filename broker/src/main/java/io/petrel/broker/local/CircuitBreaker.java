package io.petrel.broker.local;

import io.petrel.api.CircuitBreakerPolicy;
import io.petrel.api.CircuitState;

/**
 * The circuit breaker of one in-process subscription: counts the results of handler calls and
 * decides whether the next call may start.
 *
 * <p>Threads: every method except {@link #state()}, {@link #isOpen()} and {@link #lastOpeningFailure()}
 * must be called while holding the owning subscription's lock. Those three read volatile fields and
 * may be called from any thread. Times are milliseconds of the broker's clock.
 *
 * <p>Results of calls that started while the circuit was closed but end after it opened are ignored:
 * only the probe's result moves an open circuit.
 */
final class CircuitBreaker {

    /** Returned by {@link #millisUntilPermitted} while a probe is with the handler. */
    static final long AWAIT_PROBE = -1;

    private final CircuitBreakerPolicy policy;
    private final boolean[] windowFailed;
    private volatile CircuitState state = CircuitState.CLOSED;
    private volatile Failure lastOpeningFailure = Failure.NONE;
    private int consecutiveFailures;
    private int windowNext;
    private int windowCalls;
    private int windowFailures;
    private long openUntilMillis;

    /** The class and message of a handler exception. */
    record Failure(String exceptionClass, String message) {

        static final Failure NONE = new Failure("", "");

        static Failure of(Throwable error) {
            return new Failure(error.getClass().getName(), error.getMessage() == null ? "" : error.getMessage());
        }
    }

    CircuitBreaker(CircuitBreakerPolicy policy) {
        this.policy = policy;
        this.windowFailed = new boolean[policy.enabled() ? policy.slidingWindowSize() : 0];
    }

    /** Returns the current state; callable from any thread. */
    CircuitState state() {
        return state;
    }

    /** Returns true while the circuit is open and its cool-down runs; callable from any thread. */
    boolean isOpen() {
        return state == CircuitState.OPEN;
    }

    /** Returns the handler failure that last opened the circuit; callable from any thread. */
    Failure lastOpeningFailure() {
        return lastOpeningFailure;
    }

    /**
     * Returns 0 if a handler call may start now, the milliseconds left of the cool-down while the
     * circuit is open, or {@link #AWAIT_PROBE} while the probe's result is outstanding.
     */
    long millisUntilPermitted(long nowMillis) {
        return switch (state) {
            case CLOSED -> 0;
            case OPEN -> Math.max(0, openUntilMillis - nowMillis);
            case HALF_OPEN -> AWAIT_PROBE;
        };
    }

    /**
     * Records that a permitted call starts. Returns true if it is the probe, which happens when the
     * circuit was open and its cool-down is over: the circuit is then half-open.
     */
    boolean callStarted() {
        if (state != CircuitState.OPEN) {
            return false;
        }
        state = CircuitState.HALF_OPEN;
        return true;
    }

    /**
     * Records the result of a call.
     *
     * @param failure the handler's exception, or null if it returned normally
     * @param probe   whether the call was the probe
     * @return the new state if the call changed it, otherwise null
     */
    CircuitState record(Throwable failure, boolean probe, long nowMillis) {
        if (!policy.enabled()) {
            return null;
        }
        if (probe) {
            if (failure == null) {
                reset();
                return transition(CircuitState.CLOSED);
            }
            return open(failure, nowMillis);
        }
        if (state != CircuitState.CLOSED) {
            return null;
        }
        boolean failed = failure != null;
        consecutiveFailures = failed ? consecutiveFailures + 1 : 0;
        addToWindow(failed);
        if (failed && (consecutiveTripped() || rateTripped())) {
            return open(failure, nowMillis);
        }
        return null;
    }

    /**
     * Records {@code count} calls that returned normally and were not the probe, as that many
     * {@link #record} calls without a failure would.
     */
    void recordSuccesses(int count) {
        if (!policy.enabled() || count == 0 || state != CircuitState.CLOSED) {
            return;
        }
        consecutiveFailures = 0;
        // Beyond the window's size, further successes only overwrite successes.
        for (int i = Math.min(count, windowFailed.length); i > 0; i--) {
            addToWindow(false);
        }
    }

    private boolean consecutiveTripped() {
        return policy.consecutiveFailures() > 0 && consecutiveFailures >= policy.consecutiveFailures();
    }

    private boolean rateTripped() {
        return windowFailed.length > 0 && windowCalls >= policy.minimumCalls()
                && windowFailures >= policy.failureRateThreshold() * windowCalls;
    }

    private void addToWindow(boolean failed) {
        if (windowFailed.length == 0) {
            return;
        }
        if (windowCalls == windowFailed.length) {
            if (windowFailed[windowNext]) {
                windowFailures--;
            }
        } else {
            windowCalls++;
        }
        windowFailed[windowNext] = failed;
        if (failed) {
            windowFailures++;
        }
        windowNext = (windowNext + 1) % windowFailed.length;
    }

    private CircuitState open(Throwable failure, long nowMillis) {
        openUntilMillis = nowMillis + policy.coolDown().toMillis();
        lastOpeningFailure = Failure.of(failure);
        return transition(CircuitState.OPEN);
    }

    private void reset() {
        consecutiveFailures = 0;
        windowCalls = 0;
        windowFailures = 0;
        windowNext = 0;
    }

    private CircuitState transition(CircuitState next) {
        state = next;
        return next;
    }
}
