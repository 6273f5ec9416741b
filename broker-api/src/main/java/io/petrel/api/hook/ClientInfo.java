package io.petrel.api.hook;

import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The facts about one connection that hooks see: the client identifier, user name, address,
 * protocol version, TLS client certificates, and the attributes an {@link Authenticator} attached.
 *
 * <p>Immutable. The broker creates one instance per accepted connection and hands the same
 * instance to every later hook call for that connection. Instances compare by identity, so a
 * value that an {@link Authorizer} keys on belongs to one connection and never to a later
 * connection that reuses the client identifier.
 */
public final class ClientInfo {

    private static final ClientInfo IN_PROCESS = new Builder("").protocolVersion(ProtocolVersion.IN_PROCESS).build();

    private final String clientId;
    private final String username;
    private final SocketAddress remoteAddress;
    private final ProtocolVersion protocolVersion;
    private final List<X509Certificate> certificates;
    private final Map<String, String> attributes;

    private ClientInfo(Builder builder) {
        this.clientId = builder.clientId;
        this.username = builder.username;
        this.remoteAddress = builder.remoteAddress;
        this.protocolVersion = builder.protocolVersion;
        this.certificates = List.copyOf(builder.certificates);
        this.attributes = Map.copyOf(builder.attributes);
    }

    /**
     * Returns the client of the hosting application's in-process publishes and subscriptions: an
     * empty client identifier, no address and {@link ProtocolVersion#IN_PROCESS}.
     */
    public static ClientInfo inProcess() {
        return IN_PROCESS;
    }

    /** Starts a client with the given identifier, MQTT 5.0, and no user name, address or attributes. */
    public static Builder builder(String clientId) {
        return new Builder(clientId);
    }

    /** Returns a builder that starts from this client's values. */
    public Builder toBuilder() {
        return new Builder(clientId)
                .username(username)
                .remoteAddress(remoteAddress)
                .protocolVersion(protocolVersion)
                .certificates(certificates)
                .attributes(attributes);
    }

    /** Returns the client identifier, assigned by the broker if the client sent none; empty in-process. */
    public String clientId() {
        return clientId;
    }

    /** Returns the user name of CONNECT, if the client sent one. */
    public Optional<String> username() {
        return Optional.ofNullable(username);
    }

    /** Returns the client's network address; empty in-process. */
    public Optional<SocketAddress> remoteAddress() {
        return Optional.ofNullable(remoteAddress);
    }

    /** Returns the protocol version of the connection. */
    public ProtocolVersion protocolVersion() {
        return protocolVersion;
    }

    /** Returns true for the hosting application's in-process client. */
    public boolean isInProcess() {
        return protocolVersion == ProtocolVersion.IN_PROCESS;
    }

    /**
     * Returns the certificate chain the client presented in the TLS handshake, its own certificate
     * first; empty for plain TCP or when the client sent no certificate.
     */
    public List<X509Certificate> certificates() {
        return certificates;
    }

    /** Returns the attributes the authenticator attached on success; empty when it attached none. */
    public Map<String, String> attributes() {
        return attributes;
    }

    /** Returns one attribute, if present. */
    public Optional<String> attribute(String name) {
        return Optional.ofNullable(attributes.get(name));
    }

    @Override
    public String toString() {
        return isInProcess() ? "ClientInfo{in-process}"
                : "ClientInfo{clientId='" + clientId + "', username=" + (username == null ? "none" : "'" + username + "'")
                        + ", remoteAddress=" + remoteAddress + ", protocolVersion=" + protocolVersion + '}';
    }

    /** Builder of {@link ClientInfo}, for the broker and for tests of hooks. Not thread-safe. */
    public static final class Builder {

        private final String clientId;
        private String username;
        private SocketAddress remoteAddress;
        private ProtocolVersion protocolVersion = ProtocolVersion.MQTT_5;
        private List<X509Certificate> certificates = List.of();
        private Map<String, String> attributes = Map.of();

        private Builder(String clientId) {
            this.clientId = Objects.requireNonNull(clientId, "clientId");
        }

        /** Sets the user name; null for none. */
        public Builder username(String username) {
            this.username = username;
            return this;
        }

        /** Sets the network address; null for none. */
        public Builder remoteAddress(SocketAddress remoteAddress) {
            this.remoteAddress = remoteAddress;
            return this;
        }

        /** Sets the protocol version. Default: {@link ProtocolVersion#MQTT_5}. */
        public Builder protocolVersion(ProtocolVersion version) {
            this.protocolVersion = Objects.requireNonNull(version, "protocolVersion");
            return this;
        }

        /** Sets the TLS client certificate chain, the client's own certificate first. */
        public Builder certificates(List<X509Certificate> chain) {
            this.certificates = Objects.requireNonNull(chain, "certificates");
            return this;
        }

        /** Sets the attributes; keys and values must not be null. */
        public Builder attributes(Map<String, String> attributes) {
            this.attributes = Objects.requireNonNull(attributes, "attributes");
            return this;
        }

        /** Builds the client. */
        public ClientInfo build() {
            return new ClientInfo(this);
        }
    }
}
