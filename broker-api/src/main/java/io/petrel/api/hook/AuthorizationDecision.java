package io.petrel.api.hook;

/** The decision of an {@link Authorizer}. */
public enum AuthorizationDecision {
    /** The client may do it, unless a later authorizer denies it. */
    ALLOW,
    /** The client may not do it, and later authorizers are not called. */
    DENY
}
