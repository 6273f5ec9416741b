package io.petrel.api;

/**
 * Receives the messages of one in-process subscription.
 *
 * <p>The broker calls a handler on the executor of its subscription, never on a network event loop,
 * and by default one message at a time in arrival order (see {@link SubscriptionOptions}). A message
 * counts as delivered when the handler returns normally. A handler that throws does not stop the
 * broker: the exception is counted and logged with the subscription filter, and the message is
 * retried according to the subscription's {@link RetryPolicy}, then moved to the dead-letter store.
 */
@FunctionalInterface
public interface MessageHandler {

    /**
     * Handles one message.
     *
     * @param message the delivered message; its payload buffer is read-only
     * @throws UnprocessableMessageException when no retry can help; the message is dead-lettered at once
     * @throws Exception                     when the message could not be handled; it is retried
     */
    void onMessage(Message message) throws Exception;
}
