package io.petrel.persistence.chronicle;

import io.petrel.api.BrokerException;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The single thread that appends records to one Chronicle queue. Callers on any thread hand it
 * records through a bounded queue. Each gets a future that completes with the record's journal index
 * once the record is in the queue's memory-mapped file, or fails at once if the queue is full.
 *
 * <p>Threads: {@link #append} is thread-safe and never blocks. The appender is created, used and
 * closed on the writer thread only, which drains up to {@value #BATCH_SIZE} records per pass.
 */
final class JournalWriter implements AutoCloseable {

    /** Records waiting for the writer thread, at most. */
    static final int QUEUE_CAPACITY = 16_384;

    private static final Logger LOG = LoggerFactory.getLogger(JournalWriter.class);
    private static final int BATCH_SIZE = 256;
    private static final long POLL_MILLIS = 100;
    private static final long CLOSE_TIMEOUT_SECONDS = 10;

    private record Append(byte[] record, CompletableFuture<Long> written) {
    }

    private final ChronicleQueue queue;
    private final BlockingQueue<Append> pending = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts the daemon writer thread {@code threadName} for {@code queue}. */
    JournalWriter(ChronicleQueue queue, String threadName) {
        this.queue = queue;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Hands a record to the writer thread.
     *
     * @return a future that completes with the record's journal index once it is written, or fails
     *         with {@link BrokerException} if the writer is full or closed, or with the append's error
     */
    CompletableFuture<Long> append(byte[] record) {
        CompletableFuture<Long> written = new CompletableFuture<>();
        if (!running) {
            written.completeExceptionally(new BrokerException("the journal " + queue.file() + " is closed"));
        } else if (!pending.offer(new Append(record, written))) {
            written.completeExceptionally(new BrokerException("the journal " + queue.file() + " has "
                    + QUEUE_CAPACITY + " records waiting to be written; the disk is too slow for the load"));
        }
        return written;
    }

    private void run() {
        List<Append> batch = new ArrayList<>(BATCH_SIZE);
        try (ExcerptAppender appender = queue.createAppender()) {
            while (running || !pending.isEmpty()) {
                Append first = pending.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                pending.drainTo(batch, BATCH_SIZE - 1);
                for (Append append : batch) {
                    write(appender, append);
                }
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("The writer of the journal {} failed; later records are rejected", queue.file(), e);
        } finally {
            running = false;
            failRemaining(batch);
        }
    }

    private void write(ExcerptAppender appender, Append append) {
        try {
            try (DocumentContext document = appender.writingDocument()) {
                document.wire().bytes().write(append.record());
            }
            append.written().complete(appender.lastIndexAppended());
        } catch (RuntimeException e) {
            LOG.error("Failed to append a record of {} bytes to the journal {}", append.record().length,
                    queue.file(), e);
            append.written().completeExceptionally(e);
        }
    }

    private void failRemaining(List<Append> batch) {
        List<Append> remaining = new ArrayList<>(batch);
        pending.drainTo(remaining);
        for (Append append : remaining) {
            append.written().completeExceptionally(new BrokerException("the journal " + queue.file()
                    + " was closed before the record was written"));
        }
    }

    /** Writes the records handed over so far, then stops the writer thread. */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(CLOSE_TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("The writer of the journal {} did not stop within {} s", queue.file(), CLOSE_TIMEOUT_SECONDS);
        }
        failRemaining(List.of());
    }
}
