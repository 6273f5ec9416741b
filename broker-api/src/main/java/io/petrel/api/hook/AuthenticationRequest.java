package io.petrel.api.hook;

import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The credentials of one CONNECT, for an {@link Authenticator}. Immutable.
 *
 * <p>{@link #toString()} leaves the password out, so that a request can be logged.
 */
public final class AuthenticationRequest {

    private final String clientId;
    private final String username;
    private final byte[] password;
    private final List<X509Certificate> certificates;
    private final SocketAddress remoteAddress;
    private final ProtocolVersion protocolVersion;

    /**
     * Creates a request.
     *
     * @param clientId        the client identifier, assigned by the broker if the client sent none
     * @param username        the user name, or null when CONNECT has none
     * @param password        the password bytes, or null when CONNECT has none; copied
     * @param certificates    the TLS client certificate chain, empty for plain TCP
     * @param remoteAddress   the client's network address
     * @param protocolVersion the protocol version of CONNECT
     */
    public AuthenticationRequest(String clientId, String username, byte[] password,
                                 List<X509Certificate> certificates, SocketAddress remoteAddress,
                                 ProtocolVersion protocolVersion) {
        this.clientId = Objects.requireNonNull(clientId, "clientId");
        this.username = username;
        this.password = password == null ? null : password.clone();
        this.certificates = List.copyOf(certificates);
        this.remoteAddress = remoteAddress;
        this.protocolVersion = Objects.requireNonNull(protocolVersion, "protocolVersion");
    }

    /** Returns the client identifier. */
    public String clientId() {
        return clientId;
    }

    /** Returns the user name, if CONNECT has one. */
    public Optional<String> username() {
        return Optional.ofNullable(username);
    }

    /** Returns a copy of the password bytes, if CONNECT has a password. MQTT does not fix their encoding. */
    public Optional<byte[]> password() {
        return password == null ? Optional.empty() : Optional.of(password.clone());
    }

    /** Returns the TLS client certificate chain, the client's own certificate first; empty for plain TCP. */
    public List<X509Certificate> certificates() {
        return certificates;
    }

    /** Returns the client's network address. */
    public Optional<SocketAddress> remoteAddress() {
        return Optional.ofNullable(remoteAddress);
    }

    /** Returns the protocol version of CONNECT. */
    public ProtocolVersion protocolVersion() {
        return protocolVersion;
    }

    @Override
    public String toString() {
        return "AuthenticationRequest{clientId='" + clientId + "', username="
                + (username == null ? "none" : "'" + username + "'")
                + ", password=" + (password == null ? "none" : "present")
                + ", certificates=" + certificates.size()
                + ", remoteAddress=" + remoteAddress + ", protocolVersion=" + protocolVersion + '}';
    }
}
