package io.petrel.api;

/** State of the circuit breaker of an in-process subscription. */
public enum CircuitState {
    /** The handler is called for each message. */
    CLOSED,
    /** The handler is not called; messages wait in the subscription's queue until the cool-down ends. */
    OPEN,
    /** The cool-down ended and one probe message is with the handler; its result closes or reopens the circuit. */
    HALF_OPEN
}
