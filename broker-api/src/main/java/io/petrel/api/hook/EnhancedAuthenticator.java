package io.petrel.api.hook;

/**
 * An MQTT 5.0 enhanced authentication method, such as a SCRAM or Kerberos exchange, run through the
 * CONNECT and AUTH packets. A client that names a method no installed authenticator handles is
 * rejected with CONNACK reason 0x8C (bad authentication method).
 *
 * <p>Implementations must be thread-safe: {@link #start} is called from network threads for many
 * clients at once.
 */
public interface EnhancedAuthenticator {

    /** Returns the authentication method name this authenticator handles, compared exactly. */
    String method();

    /**
     * Starts one exchange, for a connecting client or for a re-authentication of a connected one.
     * The returned exchange is used by one connection only, one step at a time.
     */
    AuthExchange start(AuthRequest request);
}
