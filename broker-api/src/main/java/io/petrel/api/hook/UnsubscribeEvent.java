package io.petrel.api.hook;

import java.util.Objects;

/**
 * A client removed a subscription: one filter of an UNSUBSCRIBE, or a closed in-process
 * subscription. Observed only.
 *
 * @param client the connection, or {@link ClientInfo#inProcess()}
 * @param filter the topic filter as subscribed
 */
public record UnsubscribeEvent(ClientInfo client, String filter) {

    /** Checks that the parts are present. */
    public UnsubscribeEvent {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(filter, "filter");
    }
}
