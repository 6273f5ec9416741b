package io.petrel.api;

/**
 * Thrown by a {@link MessageHandler} for a message that no retry can fix, such as a payload that
 * does not parse. The broker skips the remaining attempts of the subscription's {@link RetryPolicy}
 * and moves the message to the dead-letter store at once.
 */
public class UnprocessableMessageException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Creates an exception with the reason the message cannot be handled. */
    public UnprocessableMessageException(String message) {
        super(message);
    }

    /** Creates an exception with the reason the message cannot be handled and the underlying cause. */
    public UnprocessableMessageException(String message, Throwable cause) {
        super(message, cause);
    }
}
