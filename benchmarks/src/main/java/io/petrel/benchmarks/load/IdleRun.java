package io.petrel.benchmarks.load;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The idle-connections run: opens {@code --connections} connections with keepalive,
 * {@code --connect-batch} at a time, keeps them open for {@code --hold-seconds}, counts how many are still
 * open and measures the broker's resident memory per connection. The first figure is the growth of
 * VmRSS over the run, divided by the accepted connections. The second is the growth while the second
 * half of the connections opened and were held, divided by the connections of that half. It leaves
 * out what the broker spends once, such as compiling its connect path, but a heap that grows in steps
 * still shows in either figure. The run also reports the retransmitted SYNs and listen-queue overflows
 * the kernel counted while the connections were opened ({@link TcpCounters}). Closes every connection
 * at the end.
 *
 * <p>Threads: used by the main thread only.
 */
final class IdleRun {

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final LoadOptions options;
    private final Connector connector;
    private final Deadline deadline;
    private final ProcStats procStats;
    private final PrintStream log;
    private final String runId;

    IdleRun(LoadOptions options, Connector connector, Deadline deadline, ProcStats procStats, PrintStream log,
            String runId) {
        this.options = options;
        this.connector = connector;
        this.deadline = deadline;
        this.procStats = procStats;
        this.log = log;
        this.runId = runId;
    }

    /**
     * Runs the scenario and returns its report.
     *
     * @throws IOException if no connection could be opened or the driver ran out of file descriptors
     */
    LoadReport run() throws IOException, InterruptedException {
        long pid = options.brokerPid().orElse(-1);
        OptionalLong rssBefore = rssBytes(pid);
        OptionalLong cpuBefore = cpuMicros(pid);
        Optional<TcpCounters> tcpBefore = TcpCounters.read();
        long startNanos = System.nanoTime();
        int firstHalf = options.connections() / 2;
        Connector.Result first = connector.open(firstHalf, i -> "load-" + runId + "-idle-" + i,
                i -> ConnectionListener.IGNORE, true, deadline);
        if (first.failed() > 0 && first.failed() == first.opened().size()) {
            throw noConnection(first);
        }
        OptionalLong rssMiddle = rssBytes(pid);
        Connector.Result second;
        try {
            second = connector.open(options.connections() - firstHalf,
                    i -> "load-" + runId + "-idle-" + (firstHalf + i), i -> ConnectionListener.IGNORE, true, deadline,
                    false);
        } catch (IOException e) {
            Connector.closeAll(first.opened());
            throw e;
        }
        Connector.Result result = first.plus(second);
        double connectSeconds = (System.nanoTime() - startNanos) / 1e9;
        int acceptedSecond = second.opened().size() - second.failed();
        OptionalLong cpuAfterConnect = cpuMicros(pid);
        Optional<TcpCounters> tcpGrowth = tcpBefore.flatMap(before -> TcpCounters.read().map(after -> after.since(before)));

        List<ClientConnection> opened = result.opened();
        int accepted = opened.size() - result.failed();
        if (accepted == 0 && result.failed() > 0) {
            throw noConnection(result);
        }
        if (result.firstFailure() != null) {
            log.printf("%d of %d connections failed. First failure: %s%n", result.failed(), options.connections(),
                    result.firstFailure());
        }

        int untried = options.connections() - opened.size();
        if (untried > 0) {
            log.printf("the run reached --max-seconds while connecting; %d connections were not tried%n", untried);
        } else {
            log.printf("opened %d of %d connections in %.1f s; holding them for %d s%n", accepted,
                    options.connections(), connectSeconds, options.holdSeconds());
        }
        long holdEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.holdSeconds());
        while (System.nanoTime() - holdEnd < 0 && !deadline.passed()) {
            LockSupport.parkNanos(POLL_NANOS);
        }
        int stillOpen = 0;
        int closedByBroker = 0;
        for (ClientConnection connection : opened) {
            if (connection != null && connection.isOpen()) {
                stillOpen++;
            }
            if (connection != null && connection.closedByBroker()) {
                closedByBroker++;
            }
        }
        OptionalLong rssAfter = rssBytes(pid);
        Connector.closeAll(opened);
        if (closedByBroker > 0) {
            log.printf("the broker closed %d of the %d accepted connections before the end of the hold%n",
                    closedByBroker, accepted);
        }
        boolean brokerEnded = pid >= 0 && procStats.hasEnded(pid);
        if (brokerEnded) {
            log.printf("the broker process %d ended during the run, so the figures read from /proc after that are na%n", pid);
        }

        double rssPerConnection = growthPer(rssBefore, rssAfter, accepted);
        if (!brokerEnded && rssPerConnection < 0) {
            log.printf("the broker's RSS shrank while the connections opened, so the RSS per connection is negative "
                    + "(%.0f bytes): the broker returned memory it had used before, which hides what the connections "
                    + "take. Measure thousands of connections, after an unrecorded idle run%n", rssPerConnection);
        }
        String outcome = brokerEnded ? "broker_ended"
                : result.timedOut() || deadline.passed() ? "timed_out"
                : result.failed() > 0 ? "connections_failed"
                : closedByBroker > 0 ? "connections_closed" : "complete";
        return new LoadReport()
                .add("label", "label", options.label())
                .add("scenario", "scenario", options.scenario().optionValue())
                .add("outcome", "outcome", outcome)
                .add("connections", "connections requested", options.connections())
                .add("connect_batch", "connecting at a time", options.connectBatch())
                .add("accepted", "connections accepted", accepted)
                .add("failed", "connections failed", result.failed())
                .add("untried", "connections not tried before --max-seconds", untried)
                .add("open_after_hold", "open after the hold", stillOpen)
                .add("closed_by_broker", "closed by the broker during the hold", closedByBroker)
                .add("connect_seconds", "time to open all (s)", connectSeconds, 3)
                .add("connect_rate_per_s", "connections per second", accepted / connectSeconds, 0)
                .add("broker_rss_before_bytes", "broker RSS before (bytes)", textOf(rssBefore))
                .add("broker_rss_after_bytes", "broker RSS after (bytes)", textOf(rssAfter))
                .add("broker_rss_bytes_per_conn", "broker RSS per connection (bytes)", rssPerConnection, 0)
                .add("broker_rss_bytes_per_conn_second_half", "broker RSS per connection of the second half (bytes)",
                        growthPer(rssMiddle, rssAfter, acceptedSecond), 0)
                .add("broker_cpu_us_per_conn", "broker CPU per connect (us)",
                        growthPer(cpuBefore, cpuAfterConnect, accepted), 1)
                .add("syn_retransmits", "SYNs retransmitted while connecting (whole host)",
                        tcpGrowth.map(growth -> (double) growth.synRetransmits()).orElse(Double.NaN), 0)
                .add("listen_overflows", "listen-queue overflows while connecting (whole host)",
                        tcpGrowth.map(growth -> (double) growth.listenOverflows()).orElse(Double.NaN), 0)
                .add("listen_drops", "listen drops while connecting (whole host)",
                        tcpGrowth.map(growth -> (double) growth.listenDrops()).orElse(Double.NaN), 0);
    }

    private IOException noConnection(Connector.Result result) {
        return result.failure("no connection to " + options.broker() + " could be opened");
    }

    private OptionalLong rssBytes(long pid) {
        return pid >= 0 ? procStats.rssBytes(pid) : OptionalLong.empty();
    }

    private OptionalLong cpuMicros(long pid) {
        return pid >= 0 ? procStats.cpuMicros(pid) : OptionalLong.empty();
    }

    private static String textOf(OptionalLong value) {
        return value.isPresent() ? Long.toString(value.getAsLong()) : LoadReport.NOT_MEASURED;
    }

    /** Returns the growth from {@code before} to {@code after} per item, or NaN if a value is missing. */
    private static double growthPer(OptionalLong before, OptionalLong after, int items) {
        if (before.isEmpty() || after.isEmpty() || items <= 0) {
            return Double.NaN;
        }
        return (double) (after.getAsLong() - before.getAsLong()) / items;
    }
}
