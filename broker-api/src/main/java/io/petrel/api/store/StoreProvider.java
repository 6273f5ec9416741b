package io.petrel.api.store;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A source of durable stores, found with {@link java.util.ServiceLoader}: a jar on the class path
 * names its implementation in {@code META-INF/services/io.petrel.api.store.StoreProvider}. The
 * standalone launcher uses the first provider it finds when persistence is enabled.
 *
 * <p>Each method opens a store under {@code dataDirectory} with the given {@link StoreOptions}. The
 * caller owns the returned store and closes it, usually by passing it to the broker builder. The
 * methods without options use {@link StoreOptions#defaults()}.
 */
public interface StoreProvider {

    /**
     * Opens the retained-message store under {@code dataDirectory}, or returns empty if this provider
     * does not store retained messages.
     *
     * @throws java.io.UncheckedIOException if the store cannot be opened, for example because another
     *                                      process uses the directory
     */
    default Optional<RetainedStore> retainedStore(Path dataDirectory) {
        return retainedStore(dataDirectory, StoreOptions.defaults());
    }

    /**
     * Opens the retained-message store under {@code dataDirectory} with {@code options}, or returns
     * empty if this provider does not store retained messages.
     *
     * @throws java.io.UncheckedIOException if the store cannot be opened, for example because another
     *                                      process uses the directory
     */
    Optional<RetainedStore> retainedStore(Path dataDirectory, StoreOptions options);

    /**
     * Opens the dead-letter store under {@code dataDirectory}, or returns empty if this provider does
     * not store dead letters.
     *
     * @throws java.io.UncheckedIOException if the store cannot be opened, for example because another
     *                                      process uses the directory
     */
    default Optional<DeadLetterStore> deadLetterStore(Path dataDirectory) {
        return deadLetterStore(dataDirectory, StoreOptions.defaults());
    }

    /**
     * Opens the dead-letter store under {@code dataDirectory} with {@code options}, or returns empty
     * if this provider does not store dead letters.
     *
     * @throws java.io.UncheckedIOException if the store cannot be opened, for example because another
     *                                      process uses the directory
     */
    Optional<DeadLetterStore> deadLetterStore(Path dataDirectory, StoreOptions options);

    /**
     * Opens the session store under {@code dataDirectory}, or returns empty if this provider does not
     * store sessions.
     *
     * @throws java.io.UncheckedIOException if the store cannot be opened, for example because another
     *                                      process uses the directory
     */
    default Optional<SessionStore> sessionStore(Path dataDirectory) {
        return sessionStore(dataDirectory, StoreOptions.defaults());
    }

    /**
     * Opens the session store under {@code dataDirectory} with {@code options}, or returns empty if
     * this provider does not store sessions. The default returns empty.
     *
     * @throws java.io.UncheckedIOException if the store cannot be opened, for example because another
     *                                      process uses the directory
     */
    default Optional<SessionStore> sessionStore(Path dataDirectory, StoreOptions options) {
        return Optional.empty();
    }
}
