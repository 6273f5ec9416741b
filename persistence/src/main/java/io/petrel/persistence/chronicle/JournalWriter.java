package io.petrel.persistence.chronicle;

import io.petrel.api.BrokerException;
import io.petrel.api.store.StoreOptions;
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
 * once the record is in the queue's memory-mapped file (and, with {@link StoreOptions.Sync#BATCH},
 * forced to the storage device), or fails at once if the queue is full. Before each append the
 * {@link StorageGuard} checks free space and the size cap; a record it rejects fails its future.
 *
 * <p>If an append fails with an {@link Error}, which Chronicle raises when the file system cannot
 * back a page of the mapped file, the journal's write lock stays held and the file may end inside a
 * record, so the writer rejects every later record until the store is opened again.
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

        /**
         * Called on the writer thread after each record it appended through {@link #append},
         * {@link #appendRemoval} or {@link #appendRemovalNow}.
         */
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
    private static final int EXCERPT_HEADER_BYTES = 4;
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

    private record Append(byte[] record, CompletableFuture<Long> written, boolean removal) implements Command {
    }

    private record Task(Runnable action, Runnable cancel) implements Command {
    }

    /** An appended record whose future completes after the batch is forced to the storage device. */
    private record Written(CompletableFuture<Long> future, long index) {
    }

    private final BlockingQueue<Command> pending = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Listener listener;
    private final StorageGuard guard;
    private final boolean syncEachBatch;
    private final Thread thread;
    private final List<Written> awaitingSync = new ArrayList<>();
    private volatile ChronicleQueue queue;
    private volatile boolean running = true;
    private ExcerptAppender appender;
    // Set on the writer thread when an append failed with an Error; the journal then takes no record.
    private String failure;

    /** Starts the daemon writer thread {@code threadName} for {@code queue}. */
    JournalWriter(ChronicleQueue queue, String threadName, StorageGuard guard, StoreOptions.Sync sync) {
        this(queue, threadName, NO_LISTENER, guard, sync);
    }

    /** Starts the daemon writer thread {@code threadName} for {@code queue}, calling {@code listener}. */
    JournalWriter(ChronicleQueue queue, String threadName, Listener listener, StorageGuard guard,
                  StoreOptions.Sync sync) {
        this.queue = queue;
        this.listener = listener;
        this.guard = guard;
        this.syncEachBatch = sync == StoreOptions.Sync.BATCH;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** Returns the queue the writer appends to now. */
    ChronicleQueue queue() {
        return queue;
    }

    /** Returns the guard that checks free space and the size cap before each append. */
    StorageGuard guard() {
        return guard;
    }

    /** Returns the records rejected for lack of space since the writer started. Thread-safe. */
    long rejectedWrites() {
        return guard.rejectedWrites();
    }

    /**
     * Hands a record to the writer thread.
     *
     * @return a future that completes with the record's journal index once it is written, or fails
     *         with {@link BrokerException} if the writer is full or closed, or with the append's error
     */
    CompletableFuture<Long> append(byte[] record) {
        return append(record, false);
    }

    /**
     * Hands a record to the writer thread that removes data, such as a clear or removal record. It is
     * written also above the size cap, so that removing data and compacting can bring the data
     * directory back under the cap, but not when free space is short.
     *
     * @return a future as {@link #append} returns it
     */
    CompletableFuture<Long> appendRemoval(byte[] record) {
        return append(record, true);
    }

    private CompletableFuture<Long> append(byte[] record, boolean removal) {
        CompletableFuture<Long> written = new CompletableFuture<>();
        if (!running) {
            written.completeExceptionally(new BrokerException("the journal " + queue.file() + " is closed"));
        } else if (!pending.offer(new Append(record, written, removal))) {
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

    /**
     * Appends a record that removes data at once, checked by the guard as {@link #appendRemoval} checks
     * it, and calls the listener. The writer thread uses it for removals that it decides on itself,
     * such as those of dead-letter retention. Writer thread only.
     *
     * @return the record's journal index
     * @throws BrokerException if the guard rejects the record or the journal takes no more records
     */
    long appendRemovalNow(byte[] record) {
        if (failure != null) {
            throw new BrokerException(failure);
        }
        BrokerException rejected = guard.check(record.length, true);
        if (rejected != null) {
            throw rejected;
        }
        long index;
        try {
            index = appendNow(record);
        } catch (InternalError e) {
            failure = failureAfter(e);
            LOG.error("Failed to append a removal record of {} bytes to the journal {}; {}", record.length,
                    queue.file(), failure, e);
            throw new BrokerException(failure, e);
        }
        guard.appended(record.length + EXCERPT_HEADER_BYTES);
        listener.appended(record, index);
        return index;
    }

    /** Appends to {@code next} from now on; the caller closes the previous queue. Writer thread only. */
    void switchTo(ChronicleQueue next) {
        appender.close();
        queue = next;
        appender = next.createAppender();
        guard.refresh(next);
    }

    private void run() {
        List<Command> batch = new ArrayList<>(BATCH_SIZE);
        appender = queue.createAppender();
        try {
            while (running || !pending.isEmpty()) {
                refreshGuard();
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
                completeSynced();
                afterBatch();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running = false;
            appender.close();
            guard.close();
            failRemaining(List.of());
        }
    }

    private void refreshGuard() {
        try {
            guard.refreshIfDue(queue);
        } catch (RuntimeException e) {
            LOG.warn("Failed to measure the free space and size of the journal {}", queue.file(), e);
        }
    }

    /** Forces the batch's records to the storage device, then completes their futures. */
    private void completeSynced() {
        if (awaitingSync.isEmpty()) {
            return;
        }
        RuntimeException syncFailure = null;
        try {
            appender.sync();
        } catch (RuntimeException e) {
            syncFailure = e;
            LOG.error("Failed to force {} records of the journal {} to the storage device", awaitingSync.size(),
                    queue.file(), e);
        }
        for (Written written : awaitingSync) {
            if (syncFailure == null) {
                written.future().complete(written.index());
            } else {
                written.future().completeExceptionally(syncFailure);
            }
        }
        awaitingSync.clear();
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
        if (failure != null) {
            append.written().completeExceptionally(new BrokerException(failure));
            return;
        }
        BrokerException rejected = guard.check(append.record().length, append.removal());
        if (rejected != null) {
            append.written().completeExceptionally(rejected);
            return;
        }
        long index;
        try {
            index = appendNow(append.record());
        } catch (RuntimeException e) {
            LOG.error("Failed to append a record of {} bytes to the journal {}", append.record().length,
                    queue.file(), e);
            append.written().completeExceptionally(e);
            return;
        } catch (InternalError e) {
            // HotSpot turns SIGBUS in a mapped page into InternalError when it can; it left the record unfinished.
            failure = failureAfter(e);
            LOG.error("Failed to append a record of {} bytes to the journal {}; {}", append.record().length,
                    queue.file(), failure, e);
            append.written().completeExceptionally(new BrokerException(failure, e));
            return;
        }
        guard.appended(append.record().length + EXCERPT_HEADER_BYTES);
        try {
            listener.appended(append.record(), index);
        } catch (RuntimeException e) {
            LOG.error("Failed to run the append hook of the journal {}", queue.file(), e);
        }
        if (syncEachBatch) {
            awaitingSync.add(new Written(append.written(), index));
        } else {
            append.written().complete(index);
        }
    }

    private String failureAfter(InternalError e) {
        return "the journal " + queue.file() + " failed to write a record (" + e.getMessage()
                + "), probably because its file system is full; it takes no more records until the broker "
                + "restarts";
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
