package io.petrel.persistence.chronicle;

import io.petrel.api.store.StoreOptions;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.RollCycle;

import java.nio.file.Path;

/**
 * Opens a single-queue journal directory under its lock, for the stores that keep one Chronicle
 * queue: the lock is taken first, and both are released again if the store cannot be built.
 */
final class LockedJournal {

    /** Builds a store from its locked directory and open queue. */
    @FunctionalInterface
    interface StoreFactory<T> {
        T create(Path directory, DirectoryLock lock, ChronicleQueue queue);
    }

    private LockedJournal() {
    }

    /**
     * Locks {@code dataDirectory/name}, opens its queue and builds the store.
     *
     * @throws java.io.UncheckedIOException if another broker uses the directory or it cannot be created
     */
    static <T> T open(Path dataDirectory, String name, RollCycle rollCycle, StoreOptions.Sync sync,
                      StoreFactory<T> factory) {
        ChronicleSettings.apply();
        Path directory = dataDirectory.resolve(name).toAbsolutePath();
        DirectoryLock lock = DirectoryLock.acquire(directory);
        ChronicleQueue queue = null;
        try {
            queue = openQueue(directory, rollCycle, sync);
            return factory.create(directory, lock, queue);
        } catch (RuntimeException e) {
            if (queue != null) {
                queue.close();
            }
            lock.close();
            throw e;
        }
    }

    /**
     * Opens the Chronicle queue in {@code directory}. With {@link StoreOptions.Sync#BATCH} the queue's
     * mapped files use {@link SyncMode#SYNC}, so that {@code ExcerptAppender.sync()} calls
     * {@code msync(MS_SYNC)}; with {@link SyncMode#NONE} that call does nothing.
     */
    static ChronicleQueue openQueue(Path directory, RollCycle rollCycle, StoreOptions.Sync sync) {
        SyncMode mode = sync == StoreOptions.Sync.BATCH ? SyncMode.SYNC : SyncMode.NONE;
        return ChronicleQueue.singleBuilder(directory).rollCycle(rollCycle).syncMode(mode).build();
    }
}
