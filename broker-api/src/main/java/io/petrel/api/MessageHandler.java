package io.petrel.api;

/**
 * Receives the messages of one in-process subscription.
 *
 * <p>The broker calls a handler on the executor of its subscription, never on a network event loop,
 * and one message at a time in arrival order. A handler that throws does not stop later deliveries:
 * the broker logs the exception with the subscription filter, counts it and carries on.
 */
@FunctionalInterface
public interface MessageHandler {

    /**
     * Handles one message.
     *
     * @param message the delivered message; its payload buffer is read-only
     * @throws Exception when the message could not be handled
     */
    void onMessage(Message message) throws Exception;
}
