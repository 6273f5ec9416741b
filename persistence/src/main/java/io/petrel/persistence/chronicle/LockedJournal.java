package io.petrel.persistence.chronicle;

import io.petrel.api.store.StoreOptions;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.RollCycle;

import java.nio.file.Path;

/**
 * Opens a journal directory under its lock: the lock is taken first, and both are released again if
 * the store cannot be built. A journal is either a single Chronicle queue in the store directory, or
 * kept in generations (see {@link JournalGenerations}) when the store compacts it.
 */
final class LockedJournal {

    /** Builds a store from its locked directory and open queue. */
    @FunctionalInterface
    interface StoreFactory<T> {
        T create(Path directory, DirectoryLock lock, ChronicleQueue queue);
    }

    /** Builds a store from its locked directory and the open queue of its current generation. */
    @FunctionalInterface
    interface GenerationStoreFactory<T> {
        T create(Path directory, DirectoryLock lock, int generation, ChronicleQueue queue);
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
        return openGeneration(dataDirectory, name, rollCycle, sync, false,
                (directory, lock, generation, queue) -> factory.create(directory, lock, queue));
    }

    /**
     * Locks {@code dataDirectory/name}, opens the queue of its current generation (see
     * {@link JournalGenerations#openCurrent}) and builds the store.
     *
     * @throws java.io.UncheckedIOException if another broker uses the directory or it cannot be created
     */
    static <T> T openGenerations(Path dataDirectory, String name, RollCycle rollCycle, StoreOptions.Sync sync,
                                 GenerationStoreFactory<T> factory) {
        return openGeneration(dataDirectory, name, rollCycle, sync, true, factory);
    }

    private static <T> T openGeneration(Path dataDirectory, String name, RollCycle rollCycle, StoreOptions.Sync sync,
                                        boolean generations, GenerationStoreFactory<T> factory) {
        ChronicleSettings.apply();
        Path directory = dataDirectory.resolve(name).toAbsolutePath();
        DirectoryLock lock = DirectoryLock.acquire(directory);
        ChronicleQueue queue = null;
        try {
            int generation = generations ? JournalGenerations.openCurrent(directory) : 0;
            queue = openQueue(JournalGenerations.directory(directory, generation), rollCycle, sync);
            return factory.create(directory, lock, generation, queue);
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
