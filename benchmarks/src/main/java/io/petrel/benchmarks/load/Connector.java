package io.petrel.benchmarks.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

/**
 * Opens client connections to one broker address a batch at a time: each batch is started at once,
 * and the next starts when every connection of the batch is accepted or failed. Closes them again.
 * Used by the main thread only.
 */
final class Connector {

    private static final long CLOSE_TIMEOUT_MILLIS = 10_000;

    private final Bootstrap bootstrap;
    private final InetSocketAddress address;
    private final int keepAliveSeconds;
    private final Credentials credentials;
    private final int timeoutMillis;
    private final int batchSize;

    Connector(Bootstrap bootstrap, InetSocketAddress address, int keepAliveSeconds, Credentials credentials,
              int timeoutMillis, int batchSize) {
        this.bootstrap = bootstrap;
        this.address = address;
        this.keepAliveSeconds = keepAliveSeconds;
        this.credentials = credentials;
        this.timeoutMillis = timeoutMillis;
        this.batchSize = batchSize;
    }

    /** The connections that were accepted, how many failed and the first failure. */
    record Result(List<ClientConnection> opened, int failed, Throwable firstFailure, boolean timedOut) {

        /** Returns the connections and failures of this result followed by those of {@code next}. */
        Result plus(Result next) {
            List<ClientConnection> all = new ArrayList<>(opened.size() + next.opened.size());
            all.addAll(opened);
            all.addAll(next.opened);
            return new Result(all, failed + next.failed, firstFailure != null ? firstFailure : next.firstFailure,
                    timedOut || next.timedOut);
        }

        /**
         * Returns an exception that starts with {@code summary} and names the first failure with the
         * fix that fits it: the broker's CONNACK return code, a longer timeout, or the address.
         */
        IOException failure(String summary) {
            if (firstFailure instanceof ClientConnection.ConnectionRefusedException) {
                return new IOException(summary + ": " + firstFailure.getMessage());
            }
            if (firstFailure instanceof TimeoutException) {
                return new IOException(summary + ": " + firstFailure.getMessage() + "; raise --connect-timeout-ms "
                        + "if the broker is slow, or check that an MQTT broker listens there");
            }
            return new IOException(summary + "; check that a broker listens there, or pass its --host and --port",
                    firstFailure);
        }
    }

    /**
     * Opens {@code count} connections, the i-th with client id {@code clientIds.apply(i)} and listener
     * {@code listeners.apply(i)}; {@code opened} keeps their order and contains {@code null} for
     * a failed one. Stops early when the deadline passes, and after the first batch if none of its
     * connections was accepted. Then {@code opened} is shorter than {@code count}.
     *
     * @param cleanSession false to connect with clean session 0, so that the broker keeps the sessions
     * @throws IOException if the driver ran out of file descriptors, after closing the connections
     *                     this call opened
     */
    Result open(int count, IntFunction<String> clientIds, IntFunction<ConnectionListener> listeners, boolean cleanSession,
                Deadline deadline) throws IOException, InterruptedException {
        return open(count, clientIds, listeners, cleanSession, deadline, true);
    }

    /**
     * Opens connections as {@link #open(int, IntFunction, IntFunction, boolean, Deadline)} does, but
     * stops after a first batch without an accepted connection only if {@code stopAfterFailedFirstBatch}
     * is true. A caller that has already opened connections to the broker passes false, so that every
     * requested connection is tried and counted.
     */
    Result open(int count, IntFunction<String> clientIds, IntFunction<ConnectionListener> listeners, boolean cleanSession,
                Deadline deadline, boolean stopAfterFailedFirstBatch) throws IOException, InterruptedException {
        List<ClientConnection> opened = new ArrayList<>(count);
        int failed = 0;
        Throwable firstFailure = null;
        for (int start = 0; start < count; start += batchSize) {
            if (deadline.passed()) {
                return new Result(opened, failed, firstFailure, true);
            }
            int end = Math.min(count, start + batchSize);
            // A connection gets no more time than the run has left, so that --max-seconds bounds connecting too.
            int batchTimeoutMillis = (int) Math.max(1, Math.min(timeoutMillis, deadline.remainingMillis()));
            List<CompletableFuture<ClientConnection>> batch = new ArrayList<>(end - start);
            for (int i = start; i < end; i++) {
                batch.add(ClientConnection.open(bootstrap, address, clientIds.apply(i), keepAliveSeconds,
                        credentials, cleanSession, listeners.apply(i), batchTimeoutMillis));
            }
            Throwable outOfFiles = null;
            for (CompletableFuture<ClientConnection> future : batch) {
                try {
                    // Each connection fails by itself after batchTimeoutMillis; the extra second covers scheduling.
                    opened.add(future.get(batchTimeoutMillis + 1_000L, TimeUnit.MILLISECONDS));
                } catch (ExecutionException | TimeoutException e) {
                    Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                    opened.add(null);
                    failed++;
                    if (firstFailure == null) {
                        firstFailure = cause;
                    }
                    if (outOfFiles == null && isTooManyOpenFiles(cause)) {
                        outOfFiles = cause;
                    }
                }
            }
            if (outOfFiles != null) {
                closeAll(opened);
                throw new IOException("too many open files: the driver needs one file descriptor per connection "
                        + "(twice --clients for p2p); raise the limit with `ulimit -n` or lower --clients or "
                        + "--connections", outOfFiles);
            }
            if (stopAfterFailedFirstBatch && start == 0 && failed == end) {
                return new Result(opened, failed, firstFailure, false);
            }
        }
        return new Result(opened, failed, firstFailure, false);
    }

    /** Returns true if {@code error} or one of its causes is EMFILE or ENFILE. */
    private static boolean isTooManyOpenFiles(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            String message = cause.getMessage();
            if (message != null && message.contains("Too many open files")) {
                return true;
            }
        }
        return false;
    }

    /** Sends DISCONNECT on every open connection, closes them and waits up to ten seconds in all. */
    static void closeAll(List<ClientConnection> connections) throws InterruptedException {
        List<ChannelFuture> closing = new ArrayList<>(connections.size());
        for (ClientConnection connection : connections) {
            if (connection != null) {
                closing.add(connection.close());
            }
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_TIMEOUT_MILLIS);
        for (ChannelFuture future : closing) {
            long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
            if (left <= 0 || !future.await(left)) {
                return; // the event loop group shutdown closes what is left
            }
        }
    }
}
