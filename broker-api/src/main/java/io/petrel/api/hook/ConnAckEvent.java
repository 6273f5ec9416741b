package io.petrel.api.hook;

import java.util.Objects;

/**
 * A CONNACK the broker sent to a client whose CONNECT was valid: a success, or a rejection by an
 * authenticator or interceptor. Observed only.
 *
 * @param client         the connection
 * @param reasonCode     the MQTT 5.0 reason code: 0 for success, 0x80 or above for a rejection. For
 *                       MQTT 3.1.1 clients the MQTT 5.0 code is given too, not the return code sent.
 * @param sessionPresent the session present flag of the CONNACK
 */
public record ConnAckEvent(ClientInfo client, int reasonCode, boolean sessionPresent) {

    /** Checks that the client is present. */
    public ConnAckEvent {
        Objects.requireNonNull(client, "client");
    }

    /** Returns true if the client was accepted. */
    public boolean accepted() {
        return reasonCode == 0;
    }
}
