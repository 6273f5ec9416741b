package io.petrel.persistence.chronicle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * <p>Not thread-safe: one store uses it, from one thread at a time.
 */
final class JournalGenerations {

    /** Name of the marker file of a complete generation. */
    static final String COMPLETE = "complete";

    private static final String PREFIX = "journal-";

    private JournalGenerations() {
    }

    /** Returns the directory of generation {@code number} under {@code storeDirectory}. */
    static Path directory(Path storeDirectory, int number) {
        return storeDirectory.resolve(String.format("%s%06d", PREFIX, number));
    }

    /**
     * Returns the number of the current generation, after deleting every other generation. Creates
     * generation 1, empty and complete, if there is none.
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
        if (current == 0) {
            current = 1;
            markComplete(directory(storeDirectory, current));
        }
        return current;
    }

    /**
     * Moves the Chronicle files of a journal kept directly in {@code storeDirectory}, the layout of a
     * journal from before it had generations, into generation 1 and marks that complete. Does
     * nothing if there are no such files. A move cut short by a crash goes on at the next call,
     * because generation 1 is marked complete only after the last file moved. Call it before
     * {@link #openCurrent}, which would delete the unmarked generation 1 of such a move.
     */
    static void adoptUngenerated(Path storeDirectory) {
        List<Path> files;
        try (Stream<Path> entries = Files.list(storeDirectory)) {
            files = entries.filter(Files::isRegularFile)
                    .filter(path -> path.getFileName().toString().endsWith(".cq4")
                            || path.getFileName().toString().endsWith(".cq4t"))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + storeDirectory + ": " + e.getMessage(), e);
        }
        Path first = directory(storeDirectory, 1);
        // Compaction never writes generation 1, so an unmarked one is a move cut short after its last
        // file, or an empty generation whose marker was not created yet.
        boolean moveCutShort = Files.isDirectory(first) && !Files.exists(first.resolve(COMPLETE));
        if (files.isEmpty() && !moveCutShort) {
            return;
        }
        try {
            Files.createDirectories(first);
            for (Path file : files) {
                Files.move(file, first.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move the journal files of " + storeDirectory + " into " + first
                    + ": " + e.getMessage(), e);
        }
        markComplete(first);
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

    private static List<Integer> numbers(Path storeDirectory) {
        try (Stream<Path> entries = Files.list(storeDirectory)) {
            return entries.map(path -> path.getFileName().toString())
                    .filter(name -> name.startsWith(PREFIX) && name.substring(PREFIX.length()).matches("\\d{6}"))
                    .map(name -> Integer.parseInt(name.substring(PREFIX.length())))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + storeDirectory + ": " + e.getMessage(), e);
        }
    }
}
