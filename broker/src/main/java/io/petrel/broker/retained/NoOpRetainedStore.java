package io.petrel.broker.retained;

import io.petrel.api.Message;
import io.petrel.api.store.RetainedStore;
import io.petrel.api.store.StoredRetainedMessage;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The retained store of a broker without persistence: it writes nothing and starts empty, so
 * retained messages live only in the broker's in-memory index and are lost when the JVM exits.
 * Stateless and thread-safe.
 */
public final class NoOpRetainedStore implements RetainedStore {

    /** The shared instance. */
    public static final NoOpRetainedStore INSTANCE = new NoOpRetainedStore();

    private static final CompletionStage<Void> DONE = CompletableFuture.completedStage(null);

    private NoOpRetainedStore() {
    }

    @Override
    public void forEach(Consumer<StoredRetainedMessage> visitor) {
    }

    @Override
    public CompletionStage<Void> set(Message message, long arrivalEpochMillis) {
        return DONE;
    }

    @Override
    public CompletionStage<Void> clear(String topic) {
        return DONE;
    }

    @Override
    public String toString() {
        return "NoOpRetainedStore";
    }
}
