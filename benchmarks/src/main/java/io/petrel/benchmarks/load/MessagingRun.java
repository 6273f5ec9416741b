package io.petrel.benchmarks.load;

import io.petrel.benchmarks.load.LoadOptions.Scenario;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * One fan-in, fan-out or point-to-point run: connects and subscribes the subscribers, connects the
 * publishers, sends the warm-up messages and waits for their delivery, then sends the measured
 * messages and waits until all are delivered, deliveries stop for {@code --drain-seconds} or the
 * deadline passes. Finally it closes every connection and reports.
 *
 * <p>Threads: used by the main thread only; publishers and subscribers run on the event loops.
 */
final class MessagingRun {

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long PHASE_START_TIMEOUT_MILLIS = 5_000;

    private final LoadOptions options;
    private final Connector connector;
    private final Deadline deadline;
    private final ProcStats procStats;
    private final PrintStream log;
    private final String runId;

    private final Publisher[] publishers;
    private final Subscriber[] subscribers;
    private final String[] filters;
    private final List<ClientConnection> connections = new ArrayList<>();
    private final LatencyRecorders latencyRecorders = new LatencyRecorders();

    /** The end of a phase. */
    enum Outcome { COMPLETE, STALLED, TIMED_OUT }

    MessagingRun(LoadOptions options, Connector connector, Deadline deadline, ProcStats procStats, PrintStream log,
                 String runId) {
        this.options = options;
        this.connector = connector;
        this.deadline = deadline;
        this.procStats = procStats;
        this.log = log;
        this.runId = runId;
        String prefix = "petrel-load/" + runId;
        int clients = options.clients();
        Scenario scenario = options.scenario();
        int publisherCount = scenario == Scenario.FAN_OUT ? 1 : clients;
        int subscriberCount = scenario == Scenario.FAN_IN ? 1 : clients;
        int subscribersPerMessage = scenario == Scenario.FAN_OUT ? clients : 1;
        publishers = new Publisher[publisherCount];
        for (int i = 0; i < publisherCount; i++) {
            String topic = switch (scenario) {
                case FAN_IN -> prefix + "/in/" + i;
                case FAN_OUT -> prefix + "/out";
                default -> prefix + "/p2p/" + i;
            };
            publishers[i] = new Publisher(i, topic, options.qos(), options.retain(), options.payloadBytes(), options.window(),
                    subscribersPerMessage, options.maxInflight());
        }
        subscribers = new Subscriber[subscriberCount];
        filters = new String[subscriberCount];
        for (int i = 0; i < subscriberCount; i++) {
            switch (scenario) {
                case FAN_IN -> {
                    int[] all = new int[publisherCount];
                    for (int p = 0; p < publisherCount; p++) {
                        all[p] = p;
                    }
                    subscribers[i] = new Subscriber(publishers, all);
                    filters[i] = prefix + "/in/+";
                }
                case FAN_OUT -> {
                    subscribers[i] = new Subscriber(publishers, 0);
                    filters[i] = prefix + "/out";
                }
                default -> {
                    subscribers[i] = new Subscriber(publishers, i);
                    filters[i] = prefix + "/p2p/" + i;
                }
            }
        }
    }

    /** Runs the scenario and returns its report; closes every connection it opened. */
    LoadReport run() throws IOException, InterruptedException {
        try {
            connect();
            Outcome warmup = Outcome.COMPLETE;
            if (options.warmupMessages() > 0) {
                log.printf("warm-up: %d messages%n", options.warmupMessages());
                startPhase(options.warmupMessages(), false);
                warmup = awaitPhase();
            }
            if (warmup == Outcome.TIMED_OUT) {
                return report(warmup, 0, 0, 0, -1, -1, -1, -1);
            }
            log.printf("measuring: %d messages%n", options.messages());
            long brokerCpuBefore = brokerCpuMicros();
            long driverCpuBefore = procStats.cpuMicros(ProcessHandle.current().pid());
            long startNanos = System.nanoTime();
            startPhase(options.messages(), true);
            Outcome outcome = awaitPhase();
            long endNanos = lastMeasuredNanos(startNanos);
            long brokerCpuAfter = brokerCpuMicros();
            long driverCpuAfter = procStats.cpuMicros(ProcessHandle.current().pid());
            for (Publisher publisher : publishers) {
                publisher.stop();
            }
            return report(outcome, startNanos, endNanos, measuredExpected(), brokerCpuBefore, brokerCpuAfter,
                    driverCpuBefore, driverCpuAfter);
        } finally {
            Connector.closeAll(connections);
        }
    }

    private void connect() throws IOException, InterruptedException {
        Connector.Result subscriberConnections = connector.open(subscribers.length,
                i -> "load-" + runId + "-sub-" + i, i -> subscribers[i], !options.persistentSubscribers(), deadline);
        collect(subscriberConnections, "subscriber");
        for (int i = 0; i < subscribers.length; i++) {
            ClientConnection connection = subscriberConnections.opened().get(i);
            subscribers[i].attach(connection, latencyRecorders);
            try {
                connection.subscribe(filters[i], options.qos())
                        .get(options.connectTimeoutMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new IOException("subscription of subscriber " + i + " to '" + filters[i] + "' failed", e);
            }
        }
        Connector.Result publisherConnections = connector.open(publishers.length,
                i -> "load-" + runId + "-pub-" + i, i -> publishers[i], true, deadline);
        collect(publisherConnections, "publisher");
        for (int i = 0; i < publishers.length; i++) {
            publishers[i].attach(publisherConnections.opened().get(i));
        }
        log.printf("connected %d publishers and %d subscribers to %s%n", publishers.length, subscribers.length,
                options.broker());
    }

    private void collect(Connector.Result result, String role) throws IOException {
        for (ClientConnection connection : result.opened()) {
            if (connection != null) {
                connections.add(connection);
            }
        }
        if (result.timedOut()) {
            throw new IOException("the run reached --max-seconds while connecting the " + role + "s");
        }
        if (result.failed() > 0) {
            throw new IOException(result.failed() + " of the " + role + " connections to " + options.broker()
                    + " failed; check that a broker listens there, or pass its --host and --port",
                    result.firstFailure());
        }
    }

    /** Splits {@code total} messages and the rate over the publishers and starts them. */
    private void startPhase(long total, boolean measured) throws IOException {
        int count = publishers.length;
        double rate = options.ratePerSecond() / count;
        List<Future<?>> started = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long share = total / count + (i < total % count ? 1 : 0);
            started.add(publishers[i].startPhase(share, rate, measured));
        }
        for (Future<?> future : started) {
            if (!future.awaitUninterruptibly(PHASE_START_TIMEOUT_MILLIS) || !future.isSuccess()) {
                throw new IOException("a publisher did not start its phase within " + PHASE_START_TIMEOUT_MILLIS
                        + " ms", future.cause());
            }
        }
    }

    /**
     * Waits until the phase's messages are sent, acknowledged at QoS 1 and delivered, or progress
     * stops, or the deadline passes.
     */
    private Outcome awaitPhase() {
        long drainNanos = TimeUnit.SECONDS.toNanos(options.drainSeconds());
        long lastProgress = -1;
        long lastChangeNanos = System.nanoTime();
        while (!deadline.passed()) {
            boolean allSent = true;
            long sent = 0;
            long acknowledged = 0;
            long expected = 0;
            long delivered = 0;
            for (Publisher publisher : publishers) {
                allSent &= publisher.phaseSent();
                sent += publisher.sent();
                acknowledged += publisher.acknowledged();
                expected += publisher.sent() * subscribersPerMessage();
                delivered += publisher.deliveries();
            }
            boolean allAcknowledged = options.qos() == 0 || acknowledged >= sent;
            if (allSent && allAcknowledged && delivered >= expected) {
                return Outcome.COMPLETE;
            }
            long now = System.nanoTime();
            if (sent + acknowledged + delivered != lastProgress) {
                lastProgress = sent + acknowledged + delivered;
                lastChangeNanos = now;
            } else if (now - lastChangeNanos > drainNanos) {
                log.printf("no progress for %d s: %d of %d deliveries arrived%n", options.drainSeconds(), delivered,
                        expected);
                return Outcome.STALLED;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return Outcome.TIMED_OUT;
    }

    private int subscribersPerMessage() {
        return options.scenario() == Scenario.FAN_OUT ? options.clients() : 1;
    }

    private long measuredExpected() {
        return options.messages() * subscribersPerMessage();
    }

    private long lastMeasuredNanos(long startNanos) {
        long last = startNanos;
        for (Subscriber subscriber : subscribers) {
            long arrival = subscriber.lastMeasuredNanos();
            if (arrival != 0 && arrival - last > 0) {
                last = arrival;
            }
        }
        return last;
    }

    private long brokerCpuMicros() {
        return options.brokerPid().isPresent() ? procStats.cpuMicros(options.brokerPid().getAsLong()) : -1;
    }

    private LoadReport report(Outcome outcome, long startNanos, long endNanos, long expected, long brokerCpuBefore,
                              long brokerCpuAfter, long driverCpuBefore, long driverCpuAfter)
            throws InterruptedException {
        Histogram latency = latencyRecorders.merged();
        long delivered = 0;
        long lost = 0;
        long duplicates = 0;
        long reordered = 0;
        long unexpected = 0;
        for (int i = 0; i < subscribers.length; i++) {
            Subscriber.Snapshot snapshot = snapshot(i);
            delivered += snapshot.measuredDeliveries();
            lost += snapshot.lost();
            duplicates += snapshot.duplicates();
            reordered += snapshot.reordered();
            unexpected += snapshot.unexpected();
        }
        long sent = 0;
        long acknowledged = 0;
        for (Publisher publisher : publishers) {
            sent += publisher.sent();
            acknowledged += publisher.acknowledged();
        }
        double seconds = (endNanos - startNanos) / 1e9;
        boolean hasLatency = latency.getTotalCount() > 0;
        LoadReport report = new LoadReport()
                .add("label", "label", options.label())
                .add("scenario", "scenario", options.scenario().optionValue())
                .add("qos", "QoS", options.qos())
                .add("retain", "retain flag on every publish", options.retain())
                .add("persistent_subscribers", "subscribers with clean session 0", options.persistentSubscribers())
                .add("publishers", "publishers", publishers.length)
                .add("subscribers", "subscribers", subscribers.length)
                .add("payload_bytes", "payload (bytes)", options.payloadBytes())
                .add("rate_per_s", "target publish rate (msg/s, 0 = max)", options.ratePerSecond(), 0)
                .add("outcome", "outcome", outcome.name().toLowerCase(java.util.Locale.ROOT))
                .add("expected", "expected deliveries (measured)", expected)
                .add("delivered", "deliveries (measured)", delivered)
                .add("lost", "lost (all phases)", lost)
                .add("duplicated", "duplicated (all phases)", duplicates)
                .add("reordered", "reordered (all phases)", reordered)
                .add("unexpected", "unexpected payloads", unexpected)
                .add("unacked", "QoS 1 publishes without PUBACK", options.qos() > 0 ? sent - acknowledged : 0)
                .add("seconds", "measured window (s)", seconds, 3)
                .add("throughput_per_s", "delivered throughput (msg/s)", seconds > 0 ? delivered / seconds : Double.NaN, 0)
                .add("p50_us", "latency p50 (us)", hasLatency ? latency.getValueAtPercentile(50) : LoadReport.NOT_MEASURED)
                .add("p99_us", "latency p99 (us)", hasLatency ? latency.getValueAtPercentile(99) : LoadReport.NOT_MEASURED)
                .add("p999_us", "latency p99.9 (us)", hasLatency ? latency.getValueAtPercentile(99.9) : LoadReport.NOT_MEASURED)
                .add("max_us", "latency max (us)", hasLatency ? latency.getMaxValue() : LoadReport.NOT_MEASURED);
        double brokerCpu = brokerCpuBefore >= 0 && delivered > 0
                ? (double) (brokerCpuAfter - brokerCpuBefore) / delivered : Double.NaN;
        double driverCpu = driverCpuBefore >= 0 && delivered > 0
                ? (double) (driverCpuAfter - driverCpuBefore) / delivered : Double.NaN;
        report.add("broker_cpu_us_per_msg", "broker CPU per delivery (us)", brokerCpu, 3)
                .add("broker_cpu_ms", "broker CPU in window (ms)",
                        brokerCpuBefore >= 0 ? (brokerCpuAfter - brokerCpuBefore) / 1000.0 : Double.NaN, 0)
                .add("driver_cpu_us_per_msg", "driver CPU per delivery (us)", driverCpu, 3)
                .add("clk_tck", "clock ticks per second", procStats.ticksPerSecond());
        return report;
    }

    private Subscriber.Snapshot snapshot(int index) throws InterruptedException {
        Subscriber subscriber = subscribers[index];
        try {
            return connections.get(index).channel().eventLoop().submit(subscriber::snapshot).get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the counters of subscriber " + index, e);
        }
    }
}
