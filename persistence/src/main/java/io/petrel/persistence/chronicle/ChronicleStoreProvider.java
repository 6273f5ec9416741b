package io.petrel.persistence.chronicle;

import io.petrel.api.store.DeadLetterStore;
import io.petrel.api.store.RetainedStore;
import io.petrel.api.store.SessionStore;
import io.petrel.api.store.StoreOptions;
import io.petrel.api.store.StoreProvider;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The {@link StoreProvider} of this module, registered for {@link java.util.ServiceLoader}: opens a
 * {@link ChronicleRetainedStore}, a {@link ChronicleDeadLetterStore} and a {@link ChronicleSessionStore}
 * in their own directories under the data directory, each locked against a second broker.
 */
public final class ChronicleStoreProvider implements StoreProvider {

    @Override
    public Optional<RetainedStore> retainedStore(Path dataDirectory, StoreOptions options) {
        return Optional.of(ChronicleRetainedStore.open(dataDirectory, options));
    }

    /**
     * {@inheritDoc}
     *
     * <p>The store drops letters beyond {@link StoreOptions#deadLetterMaxAge()} and
     * {@link StoreOptions#deadLetterMaxBytes()}, see {@link DeadLetterRetention#of(StoreOptions)}.
     */
    @Override
    public Optional<DeadLetterStore> deadLetterStore(Path dataDirectory, StoreOptions options) {
        return Optional.of(ChronicleDeadLetterStore.open(dataDirectory, options));
    }

    @Override
    public Optional<SessionStore> sessionStore(Path dataDirectory, StoreOptions options) {
        return Optional.of(ChronicleSessionStore.open(dataDirectory, options));
    }
}
