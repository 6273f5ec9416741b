package io.petrel.broker.hooks;

import io.petrel.api.hook.AuthenticationRequest;
import io.petrel.api.hook.AuthenticationResult;
import io.petrel.api.hook.Authenticator;
import io.petrel.broker.observability.BrokerMetrics.Hook;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The installed {@link Authenticator}s, asked in registration order until one decides. Stateless
 * apart from the list; thread-safe.
 */
public final class AuthenticatorChain {

    private static final AuthenticationResult NO_DECISION =
            AuthenticationResult.notAuthorized("no authenticator accepted the client");
    private static final AuthenticationResult HOOK_FAILED =
            AuthenticationResult.notAuthorized("authentication failed");

    private final List<Authenticator> authenticators;
    private final HookFence fence;

    AuthenticatorChain(List<Authenticator> authenticators, HookFence fence) {
        this.authenticators = List.copyOf(authenticators);
        this.fence = fence;
    }

    /** Returns true if no authenticator is installed, so every client may connect. */
    public boolean isEmpty() {
        return authenticators.isEmpty();
    }

    /**
     * Authenticates one CONNECT. The future never completes exceptionally: an authenticator that
     * throws, returns null or times out makes the result a NOT_AUTHORIZED failure. It may complete on
     * any thread.
     */
    public CompletableFuture<AuthenticationResult> authenticate(AuthenticationRequest request) {
        return ask(0, request);
    }

    private CompletableFuture<AuthenticationResult> ask(int index, AuthenticationRequest request) {
        if (index == authenticators.size()) {
            return CompletableFuture.completedFuture(NO_DECISION);
        }
        Authenticator authenticator = authenticators.get(index);
        CompletionStage<AuthenticationResult> stage;
        try {
            stage = authenticator.authenticate(request);
        } catch (RuntimeException | LinkageError | AssertionError e) {
            return CompletableFuture.completedFuture(failed(authenticator, request, e));
        }
        if (stage == null) {
            return CompletableFuture.completedFuture(failed(authenticator, request,
                    new NullPointerException("authenticate returned null")));
        }
        return fence.bound(stage).handle((result, error) -> {
            if (error != null) {
                return CompletableFuture.completedFuture(failed(authenticator, request, error));
            }
            if (result == null) {
                return CompletableFuture.completedFuture(failed(authenticator, request,
                        new NullPointerException("authenticate completed with null")));
            }
            if (result.outcome() == AuthenticationResult.Outcome.NEXT) {
                return ask(index + 1, request);
            }
            return CompletableFuture.completedFuture(result);
        }).thenCompose(next -> next);
    }

    private AuthenticationResult failed(Authenticator authenticator, AuthenticationRequest request, Throwable error) {
        fence.failed(Hook.AUTHENTICATOR, authenticator.getClass().getName(), "authentication", request.clientId(), error);
        return HOOK_FAILED;
    }
}
