package io.petrel.api.hook;

/**
 * The treatment of an event whose interceptor throws, returns null, returns an invalid change, or
 * does not complete its stage within {@code hooks.timeout_ms}.
 */
public enum FallbackPolicy {
    /** Go on as if the interceptor had returned {@link InterceptResult#proceed()}: fail open. */
    PROCEED,
    /**
     * Reject the event with {@link ReasonCode#UNSPECIFIED_ERROR}, as if the interceptor had rejected
     * it: fail closed. Events that cannot be rejected go on unchanged.
     */
    REJECT
}
