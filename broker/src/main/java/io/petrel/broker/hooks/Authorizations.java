package io.petrel.broker.hooks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.petrel.api.hook.AuthorizationAction;
import io.petrel.api.hook.AuthorizationDecision;
import io.petrel.api.hook.Authorizer;
import io.petrel.api.hook.ClientInfo;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.observability.BrokerMetrics.Hook;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The installed {@link Authorizer}s and the Caffeine cache of their combined decisions, keyed by
 * connection ({@link ClientInfo} identity), action and topic.
 *
 * <p>Each cached key is also listed under its connection, so that {@link #forget} drops a closed
 * connection's decisions without scanning the cache; the cache's removal listener takes evicted and
 * expired keys off those lists. Thread-safe: called from event loops and publisher threads.
 */
public final class Authorizations {

    private final List<Authorizer> authorizers;
    private final HookFence fence;
    private final BrokerMetrics metrics;
    private final Cache<Key, AuthorizationDecision> cache;
    private final Map<ClientInfo, Set<Key>> keysByClient = new ConcurrentHashMap<>();

    /** One cached decision: a connection, an action and a topic name or filter. */
    private record Key(ClientInfo client, AuthorizationAction action, String topic) {
    }

    /**
     * Creates the chain; {@code cacheSize} or {@code cacheExpirySeconds} of 0 disables the cache.
     */
    Authorizations(List<Authorizer> authorizers, HookFence fence, BrokerMetrics metrics, int cacheSize,
                   int cacheExpirySeconds) {
        this.authorizers = List.copyOf(authorizers);
        this.fence = fence;
        this.metrics = metrics;
        if (this.authorizers.isEmpty() || cacheSize == 0 || cacheExpirySeconds == 0) {
            this.cache = null;
        } else {
            this.cache = Caffeine.newBuilder()
                    .maximumSize(cacheSize)
                    .expireAfterWrite(Duration.ofSeconds(cacheExpirySeconds))
                    // Same-thread listener: a key leaves its connection's list as soon as it leaves the cache.
                    .executor(Runnable::run)
                    .<Key, AuthorizationDecision>removalListener((key, decision, cause) -> unlist(key))
                    .build();
        }
        metrics.bindAuthorizationCacheSize(this::cachedDecisions);
    }

    /** Returns true if no authorizer is installed, so every action is allowed. */
    public boolean isEmpty() {
        return authorizers.isEmpty();
    }

    /**
     * Returns true if every authorizer allows the action, from the cache when it contains the decision.
     * The in-process client is always allowed. A denial is counted; a decision that an authorizer
     * failed to make denies and is not cached.
     */
    public boolean allows(ClientInfo client, AuthorizationAction action, String topic) {
        if (authorizers.isEmpty() || client.isInProcess()) {
            return true;
        }
        AuthorizationDecision decision;
        if (cache == null) {
            decision = decide(client, action, topic);
        } else {
            decision = cache.get(new Key(client, action, topic), this::load);
        }
        return counted(action, decision);
    }

    /** Decides like {@link #allows} without the cache, for a will that is published after its connection closed. */
    public boolean allowsUncached(ClientInfo client, AuthorizationAction action, String topic) {
        if (authorizers.isEmpty() || client.isInProcess()) {
            return true;
        }
        return counted(action, decide(client, action, topic));
    }

    /** Drops the cached decisions of a connection that closed. */
    public void forget(ClientInfo client) {
        if (cache == null) {
            return;
        }
        Set<Key> keys = keysByClient.remove(client);
        if (keys != null) {
            cache.invalidateAll(keys);
        }
    }

    /** Returns the number of cached decisions, an estimate that includes expired entries not yet removed. */
    public long cachedDecisions() {
        return cache == null ? 0 : cache.estimatedSize();
    }

    private boolean counted(AuthorizationAction action, AuthorizationDecision decision) {
        if (decision == AuthorizationDecision.ALLOW) {
            return true;
        }
        metrics.authorizationDenied(action);
        return false;
    }

    /** Decides a key for the cache; null, which Caffeine does not store, when an authorizer failed. */
    private AuthorizationDecision load(Key key) {
        AuthorizationDecision decision = decide(key.client(), key.action(), key.topic());
        if (decision != null) {
            keysByClient.compute(key.client(), (client, keys) -> {
                Set<Key> listed = keys == null ? ConcurrentHashMap.newKeySet() : keys;
                listed.add(key);
                return listed;
            });
        }
        return decision;
    }

    private void unlist(Key key) {
        keysByClient.computeIfPresent(key.client(), (client, keys) -> {
            keys.remove(key);
            return keys.isEmpty() ? null : keys;
        });
    }

    /** Asks each authorizer in order until one denies; returns null when one fails. */
    private AuthorizationDecision decide(ClientInfo client, AuthorizationAction action, String topic) {
        String event = action.name().toLowerCase(Locale.ROOT) + " check";
        for (Authorizer authorizer : authorizers) {
            AuthorizationDecision decision;
            try {
                decision = authorizer.authorize(client, action, topic);
            } catch (RuntimeException | LinkageError | AssertionError e) {
                fence.failed(Hook.AUTHORIZER, authorizer.getClass().getName(), event,
                        client.clientId(), e);
                return null;
            }
            if (decision == null) {
                fence.failed(Hook.AUTHORIZER, authorizer.getClass().getName(), event,
                        client.clientId(), new NullPointerException("authorize returned null"));
                return null;
            }
            if (decision == AuthorizationDecision.DENY) {
                return AuthorizationDecision.DENY;
            }
        }
        return AuthorizationDecision.ALLOW;
    }
}
