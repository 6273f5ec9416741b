package io.petrel.persistence.chronicle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The generations of a compacted journal: subdirectories {@code journal-000001},
 * {@code journal-000002}, ... of a store directory, each a Chronicle queue. Compaction writes the
 * next generation and marks it complete with the empty file {@value #COMPLETE} before the store
 * switches to it, so after a crash the highest complete generation is the current one: a higher,
 * incomplete one is an interrupted compaction, and lower ones were already replaced.
 *
 * <p>Generation 0 is the store directory itself: a journal written before generations existed keeps
 * its Chronicle files ({@code *.cq4}, {@code *.cq4t}) directly in the store directory. It is the
 * current generation while no numbered generation is complete, and its files are deleted once one
 * is.
 *
 * <p>Not thread-safe: one store uses it, from one thread at a time.
 */
final class JournalGenerations {

    /** Name of the marker file of a complete generation. */
    static final String COMPLETE = "complete";

    private static final String PREFIX = "journal-";

    private JournalGenerations() {
    }

    /**
     * Returns the directory of generation {@code number} under {@code storeDirectory}: the store
     * directory itself for generation 0.
     */
    static Path directory(Path storeDirectory, int number) {
        if (number == 0) {
            return storeDirectory;
        }
        return storeDirectory.resolve(String.format("%s%06d", PREFIX, number));
    }

    /**
     * Returns the number of the current generation, after deleting every other generation. Creates
     * generation 1, empty and complete, if there is none and the store directory contains no journal
     * of the layout before generations.
     */
    static int openCurrent(Path storeDirectory) {
        List<Integer> numbers = numbers(storeDirectory);
        int current = 0;
        for (int number : numbers) {
            if (Files.exists(directory(storeDirectory, number).resolve(COMPLETE))) {
                current = Math.max(current, number);
            }
        }
        for (int number : numbers) {
            if (number != current) {
                delete(directory(storeDirectory, number));
            }
        }
        boolean flatJournal = !chronicleFiles(storeDirectory).isEmpty();
        if (current == 0 && !flatJournal) {
            current = 1;
            markComplete(directory(storeDirectory, current));
        } else if (current > 0 && flatJournal) {
            delete(storeDirectory, 0);
        }
        return current;
    }

    /** Deletes generation {@code number}; of generation 0, only the Chronicle files. */
    static void delete(Path storeDirectory, int number) {
        if (number != 0) {
            delete(directory(storeDirectory, number));
            return;
        }
        try {
            for (Path file : chronicleFiles(storeDirectory)) {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the old journal files in " + storeDirectory + ": "
                    + e.getMessage(), e);
        }
    }

    /** Creates the marker file that makes a generation complete, and its directory if needed. */
    static void markComplete(Path generation) {
        try {
            Files.createDirectories(generation);
            if (!Files.exists(generation.resolve(COMPLETE))) {
                Files.createFile(generation.resolve(COMPLETE));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot mark the journal " + generation + " complete: " + e.getMessage(), e);
        }
    }

    /**
     * Forces every file of a generation, its pages written through memory mappings included, the
     * generation directory and the store directory that lists it to the storage device ({@code fsync}).
     */
    static void force(Path generation) {
        try (Stream<Path> files = Files.list(generation)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                forceOne(file);
            }
            forceOne(generation);
            forceOne(generation.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot force the journal " + generation + " to the storage device: "
                    + e.getMessage(), e);
        }
    }

    private static void forceOne(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** Deletes a generation directory and its files. */
    static void delete(Path generation) {
        if (!Files.exists(generation)) {
            return;
        }
        try (Stream<Path> files = Files.walk(generation)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the old journal " + generation + ": " + e.getMessage(), e);
        }
    }

    private static List<Path> chronicleFiles(Path storeDirectory) {
        try (Stream<Path> entries = Files.list(storeDirectory)) {
            return entries.filter(Files::isRegularFile)
                    .filter(path -> path.getFileName().toString().endsWith(".cq4")
                            || path.getFileName().toString().endsWith(".cq4t"))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + storeDirectory + ": " + e.getMessage(), e);
        }
    }

    private static List<Integer> numbers(Path storeDirectory) {
        try (Stream<Path> entries = Files.list(storeDirectory)) {
            return entries.map(path -> path.getFileName().toString())
                    .filter(name -> name.startsWith(PREFIX) && name.substring(PREFIX.length()).matches("\\d{6}"))
                    .map(name -> Integer.parseInt(name.substring(PREFIX.length())))
                    .filter(number -> number > 0)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + storeDirectory + ": " + e.getMessage(), e);
        }
    }
}
