package io.petrel.broker.hooks;

import io.petrel.api.hook.Authenticator;
import io.petrel.api.hook.Authorizer;
import io.petrel.api.hook.BrokerInterceptor;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.routing.DeliveryGate;
import io.petrel.broker.routing.MessageRouter;
import io.petrel.broker.session.WillPublisher;

import java.util.List;
import java.util.function.Function;

/**
 * All hooks of one broker: the authenticator chain, the authorizers with their decision cache, and
 * the interceptor chain, with the pieces that plug them into routing, sessions and the in-process
 * API. Built once by the broker builder; immutable afterwards and thread-safe.
 */
public final class BrokerHooks {

    private final AuthenticatorChain authenticators;
    private final Authorizations authorizations;
    private final InterceptorChain interceptors;
    private final InProcessHooks inProcess;
    private final DeliveryGate deliveryGate;

    /**
     * Creates the hooks of a broker.
     *
     * @param filterProblem returns why a topic filter cannot be subscribed to, or null if it can
     * @throws IllegalArgumentException if an interceptor's {@code fallbackPolicy()} returns null
     */
    public BrokerHooks(BrokerConfig config, BrokerMetrics metrics, List<Authenticator> authenticators,
                       List<Authorizer> authorizers, List<BrokerInterceptor> interceptors,
                       Function<String, String> filterProblem) {
        HookFence fence = new HookFence(config.hookTimeoutMillis(), metrics);
        this.authenticators = new AuthenticatorChain(authenticators, fence);
        this.authorizations = new Authorizations(authorizers, fence, metrics, config.authorizationCacheSize(),
                config.authorizationCacheExpirySeconds());
        this.interceptors = new InterceptorChain(interceptors, fence, metrics, filterProblem);
        this.inProcess = new InProcessHooks(this.interceptors);
        boolean gated = !this.authorizations.isEmpty() || !this.interceptors.publishOutboundEmpty();
        this.deliveryGate = gated ? new HookedDeliveries(this.authorizations, this.interceptors, metrics) : null;
    }

    /** Returns the authenticators. */
    public AuthenticatorChain authenticators() {
        return authenticators;
    }

    /** Returns the authorizers and their cache. */
    public Authorizations authorizations() {
        return authorizations;
    }

    /**
     * Returns the interceptor chain. {@link InterceptorChain#onDeadLetter} is the entry point for the
     * dead-letter writer of in-process subscriptions.
     */
    public InterceptorChain interceptors() {
        return interceptors;
    }

    /** Returns the interceptors of in-process publishes and subscriptions. */
    public InProcessHooks inProcess() {
        return inProcess;
    }

    /**
     * Returns the gate for routing, or null when no authorizer and no outbound interceptor is
     * installed, so that routing calls subscribers directly.
     */
    public DeliveryGate deliveryGate() {
        return deliveryGate;
    }

    /** Returns the publisher of wills: through the authorizers and inbound interceptors, then {@code router}. */
    public WillPublisher willPublisher(MessageRouter router) {
        if (authorizations.isEmpty() && interceptors.publishInboundEmpty()) {
            return (session, will) -> router.route(will, session);
        }
        return new HookedWills(authorizations, interceptors, router);
    }
}
