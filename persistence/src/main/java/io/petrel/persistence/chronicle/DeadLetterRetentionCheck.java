package io.petrel.persistence.chronicle;

import io.petrel.persistence.chronicle.DeadLetterIndex.Entry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Applies a {@link DeadLetterRetention} to the index of a {@link ChronicleDeadLetterStore}: removes
 * the letters it does not keep, has a removal record written for each, counts them and logs each
 * check that dropped letters at INFO.
 *
 * <p>Threads: {@link #run} is called on the store's writer thread only. It locks {@code monitor}, the
 * store's monitor that guards the index, while it removes entries, and writes the removal records
 * after it released the monitor. {@link #droppedCount} may be read from any thread.
 */
final class DeadLetterRetentionCheck {

    /** Writes the removal record of a letter at once. Called on the writer thread. */
    @FunctionalInterface
    interface RemovalWriter {
        void writeRemoval(String id);
    }

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterRetentionCheck.class);

    private final DeadLetterRetention retention;
    private final Clock clock;
    private final long ageCheckIntervalNanos;
    private final Object monitor;
    private final DeadLetterIndex index;
    private final Path directory;
    private final RemovalWriter removalWriter;
    private volatile long droppedCount;
    private long lastAgeCheckNanos = System.nanoTime();

    DeadLetterRetentionCheck(DeadLetterRetention retention, Clock clock, Duration ageCheckInterval, Object monitor,
                             DeadLetterIndex index, Path directory, RemovalWriter removalWriter) {
        this.retention = retention;
        this.clock = clock;
        this.ageCheckIntervalNanos = ageCheckInterval.toNanos();
        this.monitor = monitor;
        this.index = index;
        this.directory = directory;
        this.removalWriter = removalWriter;
    }

    /** Returns true if the retention keeps every letter, so no check is needed. */
    boolean keepsEverything() {
        return retention.maxAge().isEmpty() && retention.maxBytes().isEmpty();
    }

    /** Returns how many letters the checks dropped. */
    long droppedCount() {
        return droppedCount;
    }

    /**
     * Drops the letters that the retention does not keep: the size always, the age when
     * {@code checkAge} is true or the age check interval has passed. A removal record written here
     * follows its letter's record, because only written letters are dropped, and precedes any later
     * letter with the same id, which waits in the writer's queue.
     */
    void run(boolean checkAge) {
        long now = System.nanoTime();
        if (checkAge || now - lastAgeCheckNanos >= ageCheckIntervalNanos) {
            lastAgeCheckNanos = now;
            checkAge = true;
        }
        Optional<Duration> maxAge = retention.maxAge();
        List<Entry> expired = List.of();
        List<Entry> oversize = List.of();
        Instant cutoff = null;
        synchronized (monitor) {
            if (checkAge && maxAge.isPresent()) {
                cutoff = clock.instant().minus(maxAge.get());
                expired = index.removeFailedBefore(cutoff);
            }
            if (retention.maxBytes().isPresent() && index.totalBytes() > retention.maxBytes().getAsLong()) {
                oversize = index.removeOldestBeyond(retention.maxBytes().getAsLong());
            }
        }
        if (!expired.isEmpty()) {
            writeRemovals(expired);
            LOG.info("Dropped {} dead letters from {} whose last failure is older than the maximum age {} "
                    + "(before {})", expired.size(), directory, maxAge.get(), cutoff);
        }
        if (!oversize.isEmpty()) {
            writeRemovals(oversize);
            LOG.info("Dropped the {} oldest dead letters from {} to keep the stored letters within the maximum "
                    + "size of {} bytes", oversize.size(), directory, retention.maxBytes().getAsLong());
        }
    }

    private void writeRemovals(List<Entry> dropped) {
        int failed = 0;
        RuntimeException firstFailure = null;
        for (Entry entry : dropped) {
            try {
                removalWriter.writeRemoval(entry.id());
            } catch (RuntimeException e) {
                failed++;
                firstFailure = firstFailure == null ? e : firstFailure;
            }
        }
        droppedCount += dropped.size();
        if (failed > 0) {
            LOG.error("Failed to write the removal records of {} dropped dead letters to {}; they return after "
                    + "a restart", failed, directory, firstFailure);
        }
    }
}
