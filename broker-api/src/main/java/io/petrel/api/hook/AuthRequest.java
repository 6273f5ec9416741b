package io.petrel.api.hook;

import java.net.SocketAddress;
import java.util.Objects;

/**
 * The facts about a client at the start of an enhanced authentication exchange.
 *
 * @param clientId         the client identifier, assigned by the broker if the client sent none
 * @param method           the authentication method the client named
 * @param remoteAddress    the client's network address
 * @param reauthentication true if a connected client started a new exchange with AUTH reason 0x19
 */
public record AuthRequest(String clientId, String method, SocketAddress remoteAddress, boolean reauthentication) {

    /** Checks that the identifying parts are present. */
    public AuthRequest {
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(method, "method");
    }
}
