package io.petrel.api.hook;

/**
 * Decides whether a network client may publish to, subscribe to, or receive from a topic.
 *
 * <p>Every installed authorizer must allow an action, and they are asked in the order they were
 * registered until one denies. Without any authorizer, everything is allowed. The hosting
 * application's in-process publishes and subscriptions are not checked; messages it publishes are
 * checked as {@link AuthorizationAction#RECEIVE} for each network subscriber.
 *
 * <p>Caching: the combined decision is cached per connection, action and topic (or filter), for
 * {@code hooks.authorization_cache_expiry_seconds} and up to {@code hooks.authorization_cache_size}
 * entries, and the entries of a connection are dropped when it closes. An implementation must
 * therefore decide from the {@link ClientInfo}, the action and the topic alone, not from the payload
 * or the time of day. A will is checked as a publish when the broker publishes it, without the cache.
 *
 * <p>Threads: called synchronously on network event loops and publisher threads, for many clients at
 * once. Implementations must be thread-safe, fast and non-blocking: do lookups in the
 * {@link Authenticator} and pass their results on as {@link ClientInfo#attributes()}. An authorizer
 * that throws or returns null denies the action; that decision is not cached.
 */
public interface Authorizer {

    /**
     * Decides one action.
     *
     * @param client the connection, with the attributes its authenticator attached
     * @param action what the client wants to do
     * @param topic  the topic name for {@link AuthorizationAction#PUBLISH} and
     *               {@link AuthorizationAction#RECEIVE}, the topic filter for
     *               {@link AuthorizationAction#SUBSCRIBE}
     * @return {@link AuthorizationDecision#ALLOW} or {@link AuthorizationDecision#DENY}
     */
    AuthorizationDecision authorize(ClientInfo client, AuthorizationAction action, String topic);
}
