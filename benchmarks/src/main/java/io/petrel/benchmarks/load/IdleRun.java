package io.petrel.benchmarks.load;

import java.io.PrintStream;
import java.util.List;
import java.util.Optional;
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

    /** Runs the scenario and returns its report. */
    LoadReport run() throws InterruptedException {
        long pid = options.brokerPid().orElse(-1);
        long rssBefore = pid >= 0 ? procStats.rssBytes(pid) : -1;
        long cpuBefore = pid >= 0 ? procStats.cpuMicros(pid) : -1;
        Optional<TcpCounters> tcpBefore = TcpCounters.read();
        long startNanos = System.nanoTime();
        int firstHalf = options.connections() / 2;
        Connector.Result first = connector.open(firstHalf, i -> "load-" + runId + "-idle-" + i,
                i -> ConnectionListener.IGNORE, true, deadline);
        long rssMiddle = pid >= 0 ? procStats.rssBytes(pid) : -1;
        Connector.Result second = connector.open(options.connections() - firstHalf,
                i -> "load-" + runId + "-idle-" + (firstHalf + i), i -> ConnectionListener.IGNORE, true, deadline);
        Connector.Result result = first.plus(second);
        double connectSeconds = (System.nanoTime() - startNanos) / 1e9;
        int acceptedSecond = second.opened().size() - second.failed();
        long cpuAfterConnect = pid >= 0 ? procStats.cpuMicros(pid) : -1;
        Optional<TcpCounters> tcpGrowth = tcpBefore.flatMap(before -> TcpCounters.read().map(after -> after.since(before)));

        List<ClientConnection> opened = result.opened();
        int accepted = opened.size() - result.failed();
        if (result.firstFailure() != null) {
            log.printf("%d connections failed; check that a broker listens on %s, or pass its --host and --port. "
                    + "First failure: %s%n", result.failed(), options.broker(), result.firstFailure());
        }

        log.printf("opened %d of %d connections in %.1f s; holding them for %d s%n", accepted,
                options.connections(), connectSeconds, options.holdSeconds());
        long holdEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.holdSeconds());
        while (System.nanoTime() - holdEnd < 0 && !deadline.passed()) {
            LockSupport.parkNanos(POLL_NANOS);
        }
        int stillOpen = 0;
        for (ClientConnection connection : opened) {
            if (connection != null && connection.isOpen()) {
                stillOpen++;
            }
        }
        long rssAfter = pid >= 0 ? procStats.rssBytes(pid) : -1;
        Connector.closeAll(opened);

        String outcome = result.timedOut() || deadline.passed() ? "timed_out"
                : result.failed() > 0 ? "connections_failed" : "complete";
        return new LoadReport()
                .add("label", "label", options.label())
                .add("scenario", "scenario", options.scenario().optionValue())
                .add("outcome", "outcome", outcome)
                .add("connections", "connections requested", options.connections())
                .add("connect_batch", "connecting at a time", options.connectBatch())
                .add("accepted", "connections accepted", accepted)
                .add("failed", "connections failed", result.failed())
                .add("open_after_hold", "open after the hold", stillOpen)
                .add("connect_seconds", "time to open all (s)", connectSeconds, 3)
                .add("connect_rate_per_s", "connections per second", accepted / connectSeconds, 0)
                .add("broker_rss_before_bytes", "broker RSS before (bytes)", pid >= 0 ? rssBefore : LoadReport.NOT_MEASURED)
                .add("broker_rss_after_bytes", "broker RSS after (bytes)", pid >= 0 ? rssAfter : LoadReport.NOT_MEASURED)
                .add("broker_rss_bytes_per_conn", "broker RSS per connection (bytes)",
                        pid >= 0 && accepted > 0 ? (double) (rssAfter - rssBefore) / accepted : Double.NaN, 0)
                .add("broker_rss_bytes_per_conn_second_half", "broker RSS per connection of the second half (bytes)",
                        pid >= 0 && acceptedSecond > 0 ? (double) (rssAfter - rssMiddle) / acceptedSecond : Double.NaN, 0)
                .add("broker_cpu_us_per_conn", "broker CPU per connect (us)",
                        pid >= 0 && accepted > 0 ? (double) (cpuAfterConnect - cpuBefore) / accepted : Double.NaN, 1)
                .add("syn_retransmits", "SYNs retransmitted while connecting (whole host)",
                        tcpGrowth.map(growth -> (double) growth.synRetransmits()).orElse(Double.NaN), 0)
                .add("listen_overflows", "listen-queue overflows while connecting (whole host)",
                        tcpGrowth.map(growth -> (double) growth.listenOverflows()).orElse(Double.NaN), 0)
                .add("listen_drops", "listen drops while connecting (whole host)",
                        tcpGrowth.map(growth -> (double) growth.listenDrops()).orElse(Double.NaN), 0);
    }
}
