package io.petrel.api.hook;

import java.util.concurrent.CompletionStage;

/**
 * One enhanced authentication exchange with one client. The broker calls {@link #onData} with the
 * authentication data of the CONNECT, or of the client's re-authentication AUTH packet, and again
 * with each AUTH packet the client sends after a challenge. Calls never overlap.
 */
public interface AuthExchange {

    /**
     * Processes the client's authentication data and returns the next step. The stage may complete
     * on any thread; if it does not complete within the broker's connect timeout, the exchange fails.
     *
     * @param clientData the Authentication Data property, empty when the client sent none
     */
    CompletionStage<AuthStep> onData(byte[] clientData);
}
