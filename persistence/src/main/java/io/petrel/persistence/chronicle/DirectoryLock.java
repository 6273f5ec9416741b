package io.petrel.persistence.chronicle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a store directory, held through the file {@value #FILE_NAME} in it with
 * {@link FileChannel#tryLock()}, so that a second broker on the same directory fails to start instead
 * of writing to the same journal. The operating system releases the lock when the process exits,
 * also after a crash.
 */
final class DirectoryLock implements AutoCloseable {

    /** Name of the lock file inside the locked directory. */
    static final String FILE_NAME = "lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Creates {@code directory} if needed and locks it.
     *
     * @throws UncheckedIOException if another process, or another store in this JVM, holds the lock,
     *                              or the directory cannot be created
     */
    static DirectoryLock acquire(Path directory) {
        Path file = directory.resolve(FILE_NAME);
        FileChannel channel;
        try {
            Files.createDirectories(directory);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the lock file " + file + ": " + e.getMessage(), e);
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot lock " + file + ": " + e.getMessage(), e);
        }
        if (lock == null) {
            closeQuietly(channel);
            String message = "the data directory " + directory + " is in use by another broker (lock file "
                    + file + " is held); stop that broker or choose another data directory";
            throw new UncheckedIOException(message, new IOException(message));
        }
        return new DirectoryLock(channel, lock);
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // Closing the channel below releases the lock as well.
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // Nothing was written through the channel, so nothing can be lost.
        }
    }
}
