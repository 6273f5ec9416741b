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
 * <p>Threads: {@link #append} and {@link #submit} are thread-safe. The appender is created, used and
 * closed on the writer thread only, which drains up to {@value #BATCH_SIZE} commands per pass and
 * also runs the submitted tasks, {@link #appendNow} and {@link #switchTo}.
 */
final class JournalWriter implements AutoCloseable {

    /** Records waiting for the writer thread, at most. */
    static final int QUEUE_CAPACITY = 16_384;

    /** Hooks that the writer thread calls. */
    interface Listener {

        /** Called on the writer thread after each record it appended through {@link #append}. */
        void appended(byte[] record, long index);

        /** Called on the writer thread after each pass over a batch of commands. */
        void afterBatch();

        /** Called on the writer thread each time no command arrived for {@value JournalWriter#POLL_MILLIS} ms. */
        default void idle() {
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(JournalWriter.class);
    private static final int BATCH_SIZE = 256;
    static final long POLL_MILLIS = 100;
    private static final long CLOSE_TIMEOUT_SECONDS = 10;
    private static final Listener NO_LISTENER = new Listener() {
        @Override
        public void appended(byte[] record, long index) {
        }

        @Override
        public void afterBatch() {
        }
    };

    private interface Command {
    }

    private record Append(byte[] record, CompletableFuture<Long> written) implements Command {
    }

    private record Task(Runnable action, Runnable cancel) implements Command {
    }

    private final BlockingQueue<Command> pending = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Listener listener;
    private final Thread thread;
    private volatile ChronicleQueue queue;
    private volatile boolean running = true;
    private ExcerptAppender appender;

    /** Starts the daemon writer thread {@code threadName} for {@code queue}. */
    JournalWriter(ChronicleQueue queue, String threadName) {
        this(queue, threadName, NO_LISTENER);
    }

    /** Starts the daemon writer thread {@code threadName} for {@code queue}, calling {@code listener}. */
    JournalWriter(ChronicleQueue queue, String threadName, Listener listener) {
        this.queue = queue;
        this.listener = listener;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** Returns the queue the writer appends to now. */
    ChronicleQueue queue() {
        return queue;
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

    /**
     * Runs {@code action} on the writer thread after the commands handed over before it, waiting for
     * room in the queue. If the writer stops first, {@code cancel} runs instead, on the calling or the
     * writer thread.
     *
     * @throws InterruptedException if interrupted while waiting for room
     */
    void submit(Runnable action, Runnable cancel) throws InterruptedException {
        if (!running) {
            cancel.run();
            return;
        }
        Task task = new Task(action, cancel);
        pending.put(task);
        if (!thread.isAlive() && pending.remove(task)) {
            cancel.run();
        }
    }

    /** Appends a record at once and returns its index. Writer thread only. */
    long appendNow(byte[] record) {
        try (DocumentContext document = appender.writingDocument()) {
            document.wire().bytes().write(record);
        }
        return appender.lastIndexAppended();
    }

    /** Appends to {@code next} from now on; the caller closes the previous queue. Writer thread only. */
    void switchTo(ChronicleQueue next) {
        appender.close();
        queue = next;
        appender = next.createAppender();
    }

    private void run() {
        List<Command> batch = new ArrayList<>(BATCH_SIZE);
        appender = queue.createAppender();
        try {
            while (running || !pending.isEmpty()) {
                Command first = pending.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (first == null) {
                    idle();
                    continue;
                }
                batch.add(first);
                pending.drainTo(batch, BATCH_SIZE - 1);
                for (Command command : batch) {
                    execute(command);
                }
                batch.clear();
                afterBatch();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running = false;
            appender.close();
            failRemaining(List.of());
        }
    }

    private void afterBatch() {
        try {
            listener.afterBatch();
        } catch (RuntimeException e) {
            LOG.error("Failed to run the batch hook of the journal {}", queue.file(), e);
        }
    }

    private void idle() {
        try {
            listener.idle();
        } catch (RuntimeException e) {
            LOG.error("Failed to run the idle hook of the journal {}", queue.file(), e);
        }
    }

    private void execute(Command command) {
        if (command instanceof Task task) {
            try {
                task.action().run();
            } catch (RuntimeException e) {
                LOG.error("Failed to run a task on the writer of the journal {}", queue.file(), e);
            }
            return;
        }
        Append append = (Append) command;
        long index;
        try {
            index = appendNow(append.record());
        } catch (RuntimeException e) {
            LOG.error("Failed to append a record of {} bytes to the journal {}", append.record().length,
                    queue.file(), e);
            append.written().completeExceptionally(e);
            return;
        }
        try {
            listener.appended(append.record(), index);
        } catch (RuntimeException e) {
            LOG.error("Failed to run the append hook of the journal {}", queue.file(), e);
        }
        append.written().complete(index);
    }

    private void failRemaining(List<Command> batch) {
        List<Command> remaining = new ArrayList<>(batch);
        pending.drainTo(remaining);
        for (Command command : remaining) {
            if (command instanceof Task task) {
                task.cancel().run();
            } else {
                ((Append) command).written().completeExceptionally(new BrokerException("the journal "
                        + queue.file() + " was closed before the record was written"));
            }
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
