package io.petrel.broker.session;

import io.petrel.api.Message;

/**
 * Publishes the will of a session whose connection closed without DISCONNECT. The broker's
 * publisher checks the will against the authorizers and interceptors before routing it.
 *
 * <p>Called by {@link SessionRegistry} under its lock, from an event loop or the expiry scheduler;
 * implementations must not block.
 */
@FunctionalInterface
public interface WillPublisher {

    /** Publishes {@code will} on behalf of {@code session}, whose {@link Session#client()} set it. */
    void publish(Session session, Message will);
}
