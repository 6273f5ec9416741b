package io.petrel.api.hook;

import java.util.Objects;

/**
 * A connection that completed CONNECT has closed. Observed only.
 *
 * @param client the connection
 * @param cause  why it closed
 */
public record DisconnectEvent(ClientInfo client, Cause cause) {

    /** The reason a connection closed. */
    public enum Cause {
        /** The client sent DISCONNECT. */
        CLIENT_DISCONNECT,
        /** The connection closed without DISCONNECT: a network failure or a client that went away. */
        CONNECTION_LOST,
        /** The broker closed it for a protocol violation or a keepalive timeout. */
        PROTOCOL_ERROR,
        /** Another connection with the same client identifier took the session over. */
        SESSION_TAKEN_OVER,
        /** The broker is shutting down. */
        SERVER_SHUTDOWN
    }

    /** Checks that the parts are present. */
    public DisconnectEvent {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(cause, "cause");
    }
}
