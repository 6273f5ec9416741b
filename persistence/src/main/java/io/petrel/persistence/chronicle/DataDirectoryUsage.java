package io.petrel.persistence.chronicle;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes that the open stores of one data directory keep in their journals, so that each store
 * can check the directory's size cap against the sum. Each store registers once and publishes its
 * own journal size from its writer thread. Any thread may read the sum.
 */
final class DataDirectoryUsage {

    private static final Map<Path, DataDirectoryUsage> BY_DIRECTORY = new ConcurrentHashMap<>();

    private final Map<Registration, Boolean> registrations = new ConcurrentHashMap<>();

    /** One store's entry; closing it removes the store's bytes from the sum. */
    static final class Registration implements AutoCloseable {
        private final Path dataDirectory;
        private final AtomicLong bytes = new AtomicLong();

        private Registration(Path dataDirectory) {
            this.dataDirectory = dataDirectory;
        }

        /** Sets the bytes this store keeps now. */
        void publish(long journalBytes) {
            bytes.set(journalBytes);
        }

        /** Returns the bytes that all open stores of the data directory keep, this one included. */
        long totalBytes() {
            DataDirectoryUsage usage = BY_DIRECTORY.get(dataDirectory);
            if (usage == null) {
                return bytes.get();
            }
            long total = 0;
            for (Registration registration : usage.registrations.keySet()) {
                total += registration.bytes.get();
            }
            return total;
        }

        @Override
        public void close() {
            BY_DIRECTORY.computeIfPresent(dataDirectory, (directory, usage) -> {
                usage.registrations.remove(this);
                return usage.registrations.isEmpty() ? null : usage;
            });
        }
    }

    private DataDirectoryUsage() {
    }

    /** Registers a store of {@code dataDirectory}, which must be absolute and normalized. */
    static Registration register(Path dataDirectory) {
        Registration registration = new Registration(dataDirectory);
        BY_DIRECTORY.compute(dataDirectory, (directory, usage) -> {
            DataDirectoryUsage result = usage == null ? new DataDirectoryUsage() : usage;
            result.registrations.put(registration, Boolean.TRUE);
            return result;
        });
        return registration;
    }
}
