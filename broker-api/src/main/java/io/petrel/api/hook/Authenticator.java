package io.petrel.api.hook;

import java.util.concurrent.CompletionStage;

/**
 * Decides whether a network client may connect, from the user name, password and TLS client
 * certificates of its CONNECT.
 *
 * <p>The broker calls the installed authenticators in the order they were registered. The first that
 * returns {@link AuthenticationResult.Outcome#SUCCESS SUCCESS} or
 * {@link AuthenticationResult.Outcome#FAILURE FAILURE} decides, and later ones are not asked. A
 * client that every authenticator passes on with {@link AuthenticationResult#next()} is rejected
 * with CONNACK 0x87 (not authorized; return code 5 in MQTT 3.1.1). Without any authenticator, every
 * client may connect.
 *
 * <p>A CONNECT that names an MQTT 5.0 authentication method is authenticated by the
 * {@link EnhancedAuthenticator} of that method alone; authenticators are not asked.
 *
 * <p>Threads: called on a network event loop, for many connections at once, so implementations
 * must be thread-safe and must not block. Slow work (a directory lookup, an HTTP call) belongs in
 * the returned stage, which may complete on any thread. A stage that does not complete within
 * {@code hooks.timeout_ms}, completes exceptionally or completes with null, and an authenticator
 * that throws, all reject the client with CONNACK 0x87 (return code 5 in MQTT 3.1.1). The connection
 * processes no other packet while its authentication runs.
 */
public interface Authenticator {

    /**
     * Checks the credentials of one CONNECT.
     *
     * @param request the client identifier, credentials, certificates and address
     * @return a stage with the result
     */
    CompletionStage<AuthenticationResult> authenticate(AuthenticationRequest request);
}
