package io.petrel.persistence.chronicle;

import io.petrel.api.BrokerException;
import io.petrel.api.store.StoreOptions;
import net.openhft.chronicle.queue.ChronicleQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Rejects appends that the data directory cannot take: when its file system would keep less free
 * space than {@link StoreOptions#minFreeBytes()}, or its journals would grow past
 * {@link StoreOptions#maxDataBytes()}. Chronicle writes through memory-mapped files, and a write
 * into a page that the file system cannot back raises {@code InternalError} or kills the JVM with
 * SIGBUS, and leaves the journal's write lock held, so the check must come before the write.
 *
 * <p>The free space and the journal size are measured at most every {@value #REFRESH_MILLIS} ms.
 * Between measurements the guard subtracts the bytes appended since, so a burst cannot run past
 * the last measurement. While it rejects appends it logs an ERROR at most once a minute, and an INFO
 * when appends are accepted again.
 *
 * <p>Threads: the writer thread of one journal owns it; {@link #rejectedWrites()} may be called
 * from any thread.
 */
final class StorageGuard {

    /** The configuration key of the size cap, named in rejection messages. */
    static final String MAX_SIZE_KEY = "persistence.max_size";
    private static final String MAX_SIZE_SETTING = MAX_SIZE_KEY + " (StoreOptions.maxDataBytes)";

    /** The configuration key of the free space reserve, named in rejection messages. */
    static final String MIN_FREE_SPACE_KEY = "persistence.min_free_space";
    private static final String MIN_FREE_SPACE_SETTING = MIN_FREE_SPACE_KEY + " (StoreOptions.minFreeBytes)";

    static final long REFRESH_MILLIS = 250;

    private static final Logger LOG = LoggerFactory.getLogger(StorageGuard.class);
    private static final long ERROR_LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long REFRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(REFRESH_MILLIS);

    private final Path dataDirectory;
    private final Path storeDirectory;
    private final String storeName;
    private final long maxDataBytes;
    private final long minFreeBytes;
    private final LongSupplier nanoClock;
    private final DataDirectoryUsage.Registration usage;
    private final JournalUsage journalUsage = new JournalUsage();
    private final AtomicLong rejectedWrites = new AtomicLong();
    private FileStore fileStore;
    private long usableBytes = Long.MAX_VALUE;
    private long journalBytes;
    private long appendedSinceRefresh;
    private boolean writable = true;
    private boolean measured;
    private long lastRefreshNanos;
    private boolean rejecting;
    private boolean capReached;
    private long lastErrorLogNanos;
    private boolean errorLogged;

    /**
     * Creates the guard of the store in {@code storeDirectory} under {@code dataDirectory}, named
     * {@code storeName} in messages.
     */
    StorageGuard(Path dataDirectory, Path storeDirectory, String storeName, StoreOptions options,
                 LongSupplier nanoClock) {
        this.dataDirectory = dataDirectory.toAbsolutePath().normalize();
        this.storeDirectory = storeDirectory;
        this.storeName = storeName;
        this.maxDataBytes = options.maxDataBytes();
        this.minFreeBytes = options.minFreeBytes();
        this.nanoClock = nanoClock;
        this.usage = DataDirectoryUsage.register(this.dataDirectory);
    }

    /** Creates the guard of a store, with {@link System#nanoTime()} as the clock. */
    static StorageGuard of(Path dataDirectory, Path storeDirectory, String storeName, StoreOptions options) {
        return new StorageGuard(dataDirectory, storeDirectory, storeName, options, System::nanoTime);
    }

    /** Measures free space and the journal size if the last measurement is older than the interval. */
    void refreshIfDue(ChronicleQueue queue) {
        long now = nanoClock.getAsLong();
        if (measured && now - lastRefreshNanos < REFRESH_NANOS) {
            return;
        }
        refresh(queue, now);
    }

    /** Measures free space and the journal size now, for example after compaction replaced the journal. */
    void refresh(ChronicleQueue queue) {
        refresh(queue, nanoClock.getAsLong());
    }

    private void refresh(ChronicleQueue queue, long now) {
        measured = true;
        lastRefreshNanos = now;
        appendedSinceRefresh = 0;
        writable = Files.isWritable(storeDirectory);
        try {
            if (fileStore == null) {
                fileStore = Files.getFileStore(storeDirectory);
            }
            usableBytes = fileStore.getUsableSpace();
        } catch (IOException e) {
            usableBytes = 0;
            LOG.debug("Cannot read the free space of {}", storeDirectory, e);
        }
        try {
            journalBytes = journalUsage.measure(queue);
        } catch (RuntimeException e) {
            LOG.debug("Cannot measure the journal {}", storeDirectory, e);
        }
        usage.publish(journalBytes);
    }

    /** Returns the free space a compaction must leave, in bytes. */
    long minFreeBytes() {
        return minFreeBytes;
    }

    /** Returns the bytes that this store's journal held at the last measurement. */
    long journalBytes() {
        return journalBytes;
    }

    /** Returns the file system free space at the last measurement, less the bytes appended since. */
    long freeBytes() {
        return usableBytes - appendedSinceRefresh;
    }

    /**
     * Checks that a record of {@code recordBytes} fits, and returns null if it does, or the exception
     * that rejects it. A {@code removal} record is checked against the free space reserve only, not
     * against the size cap. Writer thread only.
     */
    BrokerException check(int recordBytes, boolean removal) {
        String reason = rejectionReason(recordBytes, removal);
        if (reason == null) {
            if (rejecting) {
                rejecting = false;
                LOG.info("Writes to the {} store in {} resume: {} bytes free, {} bytes of journals in {}", storeName,
                        storeDirectory, freeBytes(), usage.totalBytes(), dataDirectory);
            }
            return null;
        }
        rejectedWrites.incrementAndGet();
        rejecting = true;
        long now = nanoClock.getAsLong();
        if (!errorLogged || now - lastErrorLogNanos >= ERROR_LOG_INTERVAL_NANOS) {
            errorLogged = true;
            lastErrorLogNanos = now;
            LOG.error("Rejecting writes to the {} store: {} ({} rejected since the store opened; logged at most "
                    + "once a minute)", storeName, reason, rejectedWrites.get());
        }
        return new BrokerException("cannot write to the " + storeName + " store: " + reason);
    }

    private String rejectionReason(int recordBytes, boolean removal) {
        if (!writable) {
            return "the directory " + storeDirectory + " is not writable (a read-only file system or missing "
                    + "permission); make it writable";
        }
        long free = freeBytes();
        if (free - recordBytes < minFreeBytes) {
            return "the file system of " + dataDirectory + " has " + Math.max(0, free) + " bytes free, and "
                    + MIN_FREE_SPACE_KEY + " keeps " + minFreeBytes + " bytes free; free disk space, or lower "
                    + MIN_FREE_SPACE_SETTING;
        }
        if (maxDataBytes > 0 && !removal) {
            long total = usage.totalBytes() + appendedSinceRefresh;
            capReached = total + recordBytes > maxDataBytes;
            if (capReached) {
                return "the data directory " + dataDirectory + " holds " + total + " bytes of journals, and "
                        + MAX_SIZE_KEY + " is " + maxDataBytes + " bytes; remove data (purge dead letters, clear "
                        + "retained messages) or raise " + MAX_SIZE_SETTING;
            }
        }
        return null;
    }

    /**
     * Returns true if the last record checked against the size cap did not fit under it. Compaction
     * then starts on a smaller journal than usual, since it is the only way the journals shrink.
     * Writer thread only.
     */
    boolean capReached() {
        return capReached;
    }

    /** Counts a record of {@code recordBytes} that was appended. Writer thread only. */
    void appended(int recordBytes) {
        appendedSinceRefresh += recordBytes;
    }

    /** Returns the records rejected since the store opened. Thread-safe. */
    long rejectedWrites() {
        return rejectedWrites.get();
    }

    /** Removes this store's bytes from the data directory's sum. */
    void close() {
        usage.close();
    }
}
