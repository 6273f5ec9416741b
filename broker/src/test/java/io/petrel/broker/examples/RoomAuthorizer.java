package io.petrel.broker.examples;

import io.petrel.api.hook.AuthorizationAction;
import io.petrel.api.hook.AuthorizationDecision;
import io.petrel.api.hook.Authorizer;
import io.petrel.api.hook.ClientInfo;

/**
 * Lets each client publish only in its own room, {@code room/{clientId}/#}, and subscribe to and
 * receive from every room, but nothing outside {@code room/}.
 *
 * <p>A client identifier that contains {@code /}, {@code +} or {@code #} could reach into another
 * client's room or look like a wildcard, so such clients may not publish at all.
 */
public final class RoomAuthorizer implements Authorizer {

    private static final String ROOMS = "room/";

    @Override
    public AuthorizationDecision authorize(ClientInfo client, AuthorizationAction action, String topic) {
        boolean allowed = switch (action) {
            case PUBLISH -> isOwnRoom(client.clientId(), topic);
            case SUBSCRIBE, RECEIVE -> topic.startsWith(ROOMS);
        };
        return allowed ? AuthorizationDecision.ALLOW : AuthorizationDecision.DENY;
    }

    private static boolean isOwnRoom(String clientId, String topic) {
        if (clientId.isEmpty() || clientId.contains("/") || clientId.contains("+") || clientId.contains("#")) {
            return false;
        }
        String room = ROOMS + clientId;
        return topic.equals(room) || topic.startsWith(room + "/");
    }
}
