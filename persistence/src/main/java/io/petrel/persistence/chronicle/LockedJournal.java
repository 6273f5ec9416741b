package io.petrel.persistence.chronicle;

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
    static <T> T open(Path dataDirectory, String name, RollCycle rollCycle, StoreFactory<T> factory) {
        ChronicleSettings.apply();
        Path directory = dataDirectory.resolve(name).toAbsolutePath();
        DirectoryLock lock = DirectoryLock.acquire(directory);
        ChronicleQueue queue = null;
        try {
            queue = ChronicleQueue.singleBuilder(directory).rollCycle(rollCycle).build();
            return factory.create(directory, lock, queue);
        } catch (RuntimeException e) {
            if (queue != null) {
                queue.close();
            }
            lock.close();
            throw e;
        }
    }
}
