package io.petrel.api;

/**
 * Raised when the broker cannot do what was requested: a listener that cannot bind, an operation on a
 * broker that is not running. The message names the value involved and what to change.
 */
public class BrokerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message that names the failing value. */
    public BrokerException(String message) {
        super(message);
    }

    /** Creates an exception with a message and the underlying cause. */
    public BrokerException(String message, Throwable cause) {
        super(message, cause);
    }
}
