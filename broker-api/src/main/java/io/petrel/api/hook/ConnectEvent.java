package io.petrel.api.hook;

import io.petrel.api.Message;

import java.util.Objects;
import java.util.Optional;

/**
 * A network client whose CONNECT passed authentication, before its session is attached. An
 * interceptor may reject it; a changed connect event is ignored.
 *
 * @param client                       the connection, with its authentication attributes
 * @param cleanStart                   the clean start (MQTT 5.0) or clean session (MQTT 3.1.1) flag
 * @param keepAliveSeconds             the keepalive the broker applies, 0 for none
 * @param sessionExpiryIntervalSeconds the session expiry interval; 0xFFFFFFFF never expires
 * @param will                         the will message, if CONNECT has one
 */
public record ConnectEvent(ClientInfo client, boolean cleanStart, int keepAliveSeconds,
                           long sessionExpiryIntervalSeconds, Optional<Message> will) {

    /** Checks that the parts are present. */
    public ConnectEvent {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(will, "will");
    }
}
