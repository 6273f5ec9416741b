package io.petrel.broker.config;

/**
 * Raised when a configuration file or a {@code PETREL_*} environment variable cannot be used. The
 * message is written for an operator and names the file and line (or the variable), the key, the
 * rejected value and what is allowed.
 */
public final class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message that locates and explains the problem. */
    public ConfigException(String message) {
        super(message);
    }

    /** Creates an exception with a message and the I/O or parse failure behind it. */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
