package io.petrel.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Data directories of the persistence benchmarks: created under the system temporary directory and
 * deleted with their journals at the end of a trial.
 */
final class PersistenceFiles {

    private PersistenceFiles() {
    }

    /** Creates an empty data directory whose name starts with {@code prefix}. */
    static Path createDataDirectory(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a data directory for the benchmark: " + e.getMessage(), e);
        }
    }

    /** Deletes {@code directory} and everything under it. */
    static void delete(Path directory) {
        if (directory == null || !Files.exists(directory)) {
            return;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the benchmark data directory " + directory + ": "
                    + e.getMessage(), e);
        }
    }

    /** Returns a payload of {@code size} bytes whose content depends on {@code seed}. */
    static byte[] payload(int size, int seed) {
        byte[] payload = new byte[size];
        for (int i = 0; i < size; i++) {
            payload[i] = (byte) ('a' + Math.floorMod(seed * 31 + i, 26));
        }
        return payload;
    }
}
