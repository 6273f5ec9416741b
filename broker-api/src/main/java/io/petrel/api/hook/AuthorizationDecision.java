package io.petrel.api.hook;

/** The answer of an {@link Authorizer}. */
public enum AuthorizationDecision {
    /** The client may do what it asked; the next authorizer is asked, if any. */
    ALLOW,
    /** The client may not; later authorizers are not asked. */
    DENY
}
