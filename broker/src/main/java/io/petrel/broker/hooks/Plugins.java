package io.petrel.broker.hooks;

import io.petrel.api.hook.Authenticator;
import io.petrel.api.hook.Authorizer;
import io.petrel.api.hook.BrokerInterceptor;
import io.petrel.api.hook.EnhancedAuthenticator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLClassLoader;
import java.util.List;

/**
 * The hooks found in a plugins directory, in load order, and the class loader of their jars, which
 * must stay open while the broker uses them.
 *
 * @param authenticators         the {@link Authenticator} providers
 * @param authorizers            the {@link Authorizer} providers
 * @param interceptors           the {@link BrokerInterceptor} providers
 * @param enhancedAuthenticators the {@link EnhancedAuthenticator} providers
 * @param classLoader            the loader over the plugin jars, or null when there were none
 */
public record Plugins(List<Authenticator> authenticators, List<Authorizer> authorizers,
                      List<BrokerInterceptor> interceptors, List<EnhancedAuthenticator> enhancedAuthenticators,
                      URLClassLoader classLoader) implements AutoCloseable {

    /** Copies the lists so the value stays immutable. */
    public Plugins {
        authenticators = List.copyOf(authenticators);
        authorizers = List.copyOf(authorizers);
        interceptors = List.copyOf(interceptors);
        enhancedAuthenticators = List.copyOf(enhancedAuthenticators);
    }

    /** Returns the result for a directory without plugin jars. */
    static Plugins none() {
        return new Plugins(List.of(), List.of(), List.of(), List.of(), null);
    }

    /** Returns the number of hooks found. */
    public int size() {
        return authenticators.size() + authorizers.size() + interceptors.size() + enhancedAuthenticators.size();
    }

    /** Closes the class loader of the plugin jars; call after the broker stopped using the hooks. */
    @Override
    public void close() {
        if (classLoader == null) {
            return;
        }
        try {
            classLoader.close();
        } catch (IOException e) {
            throw new UncheckedIOException("failed to close the class loader of the plugin jars", e);
        }
    }
}
