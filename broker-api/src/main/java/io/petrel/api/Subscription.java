package io.petrel.api;

/**
 * An in-process subscription returned by {@link Broker#subscribe}. Closing it removes it from
 * routing; messages already handed to the handler are still handled, later ones are not.
 */
public interface Subscription extends AutoCloseable {

    /** Returns the topic filter this subscription was made with. */
    String filter();

    /** Returns true until {@link #close()} is called or the broker closes. */
    boolean isActive();

    /** Stops delivery to the handler. Idempotent. */
    @Override
    void close();
}
