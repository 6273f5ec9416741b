package io.petrel.benchmarks.load;

import io.petrel.benchmarks.load.LoadOptions.Scenario;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * One fan-in, fan-out or point-to-point run: connects and subscribes the subscribers, connects the
 * publishers, sends the warm-up messages and waits for their delivery, then sends the measured
 * messages and waits until all are delivered, deliveries stop for {@code --drain-seconds}, the broker
 * closes a connection or the deadline passes. A run that ends during the warm-up measures nothing.
 * Finally it stops the publishers, closes every connection and reports.
 *
 * <p>Threads: used by the main thread only; publishers and subscribers run on the event loops.
 */
final class MessagingRun {

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long PHASE_START_TIMEOUT_MILLIS = 5_000;
    private static final long CLOSE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long IN_FLIGHT_GRACE_MILLIS = 2_000;

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
    enum Outcome { COMPLETE, STALLED, TIMED_OUT, CONNECTIONS_CLOSED }

    /** The end of a phase and the deliveries of its messages that had arrived by then. */
    private record PhaseResult(Outcome outcome, long delivered, long expected) {
    }

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
            PhaseResult warmup = new PhaseResult(Outcome.COMPLETE, 0, 0);
            if (options.warmupMessages() > 0) {
                log.printf("warm-up: %d messages%n", options.warmupMessages());
                startPhase(options.warmupMessages(), false);
                warmup = awaitPhase("warm-up", options.warmupMessages(), false);
            }
            if (warmup.outcome() == Outcome.TIMED_OUT || warmup.outcome() == Outcome.CONNECTIONS_CLOSED) {
                log.printf("the warm-up did not finish, so no message was measured: %d of %d warm-up deliveries "
                        + "arrived%n", warmup.delivered(), warmup.expected());
                stopPublishers(warmup.outcome());
                return report(warmup.outcome(), warmup, 0, 0, 0, OptionalLong.empty(), OptionalLong.empty(), -1, -1);
            }
            if (warmup.outcome() == Outcome.STALLED) {
                // A broker that drops messages stalls a windowed warm-up, and the measured phase then
                // shows whether it recovers, so the run goes on. The exit status marks it.
                log.printf("the warm-up stalled; measuring anyway, and the report's warmup_outcome shows the stall%n");
            }
            log.printf("measuring: %d messages%n", options.messages());
            OptionalLong brokerCpuBefore = brokerCpuMicros();
            long driverCpuBefore = driverCpuMicros();
            long startNanos = System.nanoTime();
            startPhase(options.messages(), true);
            PhaseResult measured = awaitPhase("measured phase", options.messages(), true);
            stopPublishers(measured.outcome());
            long endNanos = lastMeasuredNanos(startNanos);
            OptionalLong brokerCpuAfter = brokerCpuMicros();
            long driverCpuAfter = driverCpuMicros();
            return report(measured.outcome(), warmup, startNanos, endNanos, measuredExpected(), brokerCpuBefore,
                    brokerCpuAfter, driverCpuBefore, driverCpuAfter);
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
            long timeoutMillis = Math.max(1, Math.min(options.connectTimeoutMillis(), deadline.remainingMillis()));
            try {
                connection.subscribe(filters[i], options.qos()).get(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (deadline.passed()) {
                    throw new IOException("the run reached --max-seconds while waiting for the SUBACK of subscriber "
                            + i + " from " + options.broker());
                }
                throw new IOException("no SUBACK within " + options.connectTimeoutMillis() + " ms from "
                        + options.broker() + " for the subscription of subscriber " + i + " to '" + filters[i]
                        + "'; raise --connect-timeout-ms if the broker is slow");
            } catch (ExecutionException e) {
                throw new IOException("subscription of subscriber " + i + " to '" + filters[i] + "' failed: "
                        + e.getCause().getMessage());
            }
        }
        Connector.Result publisherConnections = connector.open(publishers.length,
                i -> "load-" + runId + "-pub-" + i, i -> publishers[i], true, deadline);
        collect(publisherConnections, "publisher");
        for (int i = 0; i < publishers.length; i++) {
            publishers[i].attach(publisherConnections.opened().get(i));
        }
        log.printf("connected %d %s and %d %s to %s%n", publishers.length,
                publishers.length == 1 ? "publisher" : "publishers", subscribers.length,
                subscribers.length == 1 ? "subscriber" : "subscribers",
                options.broker());
    }

    private void collect(Connector.Result result, String role) throws IOException {
        for (ClientConnection connection : result.opened()) {
            if (connection != null) {
                connections.add(connection);
            }
        }
        if (result.timedOut() || (result.failed() > 0 && deadline.passed())) {
            throw new IOException("the run reached --max-seconds while connecting the " + role + "s");
        }
        if (result.failed() > 0) {
            throw result.failure(result.failed() + " of the " + role + " connections to " + options.broker()
                    + " failed");
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
     * stops, or the broker closes a connection, or the deadline passes. A publisher that waits for
     * its next scheduled send at a fixed rate counts as making progress.
     *
     * <p>The warm-up is the first phase, so it counts every delivery. The measured phase counts only
     * deliveries of measured messages, so that warm-up messages that the broker dropped do not keep it
     * from completing.
     */
    private PhaseResult awaitPhase(String phase, long phaseMessages, boolean measured) {
        long drainNanos = TimeUnit.SECONDS.toNanos(options.drainSeconds());
        long phaseExpected = phaseMessages * subscribersPerMessage();
        long sentBefore = 0;
        for (Publisher publisher : publishers) {
            sentBefore += publisher.phaseFirst();
        }
        long lastProgress = -1;
        long lastChangeNanos = System.nanoTime();
        long lastCloseCheckNanos = lastChangeNanos;
        long phaseDelivered = 0;
        while (!deadline.passed()) {
            boolean allSent = true;
            boolean waitingForSchedule = false;
            long sent = 0;
            long acknowledged = 0;
            long now = System.nanoTime();
            long delivered = 0;
            for (Publisher publisher : publishers) {
                allSent &= publisher.phaseSent();
                waitingForSchedule |= publisher.waitingForSchedule(now);
                sent += publisher.sent();
                acknowledged += publisher.acknowledged();
                delivered += publisher.deliveries();
            }
            boolean allAcknowledged = options.qos() == 0 || acknowledged >= sent;
            phaseDelivered = measured ? measuredDeliveries() : delivered;
            if (allSent && allAcknowledged && phaseDelivered >= (sent - sentBefore) * subscribersPerMessage()) {
                return new PhaseResult(Outcome.COMPLETE, phaseDelivered, phaseExpected);
            }
            if (now - lastCloseCheckNanos > CLOSE_CHECK_NANOS) {
                lastCloseCheckNanos = now;
                if (reportClosedConnections(phase)) {
                    return new PhaseResult(Outcome.CONNECTIONS_CLOSED, phaseDelivered, phaseExpected);
                }
            }
            if (sent + acknowledged + delivered != lastProgress || waitingForSchedule) {
                lastProgress = sent + acknowledged + delivered;
                lastChangeNanos = now;
            } else if (now - lastChangeNanos > drainNanos) {
                log.printf("no progress for %d s in the %s: %d of %d deliveries of this phase arrived, and %d of %d "
                        + "messages were sent%n", options.drainSeconds(), phase, phaseDelivered,
                        phaseExpected, sent - sentBefore, phaseMessages);
                if (options.window() > 0 && allAcknowledged) {
                    log.printf("publishers wait for deliveries that may have been dropped: a broker drops messages "
                            + "above its queue limit per session, so keep --window %d times %d publishers per "
                            + "subscriber below that limit%n", options.window(), publishersPerSubscriber());
                }
                return new PhaseResult(Outcome.STALLED, phaseDelivered, phaseExpected);
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        log.printf("the run reached --max-seconds in the %s%n", phase);
        return new PhaseResult(Outcome.TIMED_OUT, phaseDelivered, phaseExpected);
    }

    /**
     * Prints how many publisher and subscriber connections the broker closed, if any, and returns
     * true if it closed one.
     */
    private boolean reportClosedConnections(String phase) {
        int closedSubscribers = closedByBroker(0, subscribers.length);
        int closedPublishers = closedByBroker(subscribers.length, connections.size());
        if (closedSubscribers + closedPublishers == 0) {
            return false;
        }
        log.printf("the broker closed %d of %d publisher connections and %d of %d subscriber connections in the %s%s%n",
                closedPublishers, publishers.length, closedSubscribers, subscribers.length, phase,
                brokerEnded() ? ", and its process has ended"
                        : "; its log may name the reason, such as a packet above its maximum size");
        return true;
    }

    /** Counts the connections at indexes {@code from} to {@code to} (exclusive) that the broker closed. */
    private int closedByBroker(int from, int to) {
        int closed = 0;
        for (ClientConnection connection : connections.subList(from, to)) {
            if (connection.closedByBroker()) {
                closed++;
            }
        }
        return closed;
    }

    /**
     * Stops the publishers. After a timeout or a closed connection it then gives the messages in
     * flight up to {@value #IN_FLIGHT_GRACE_MILLIS} ms to arrive, so that they are not counted as
     * lost. A complete or stalled phase has no need of it.
     */
    private void stopPublishers(Outcome outcome) {
        for (Publisher publisher : publishers) {
            publisher.stop();
        }
        if (outcome == Outcome.COMPLETE || outcome == Outcome.STALLED) {
            return;
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(IN_FLIGHT_GRACE_MILLIS);
        while (System.nanoTime() - end < 0) {
            long expected = 0;
            long delivered = 0;
            for (Publisher publisher : publishers) {
                expected += publisher.sent() * subscribersPerMessage();
                delivered += publisher.deliveries();
            }
            if (delivered >= expected) {
                return;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /** Returns the deliveries of measured messages so far, duplicates included. */
    private long measuredDeliveries() {
        long delivered = 0;
        for (Subscriber subscriber : subscribers) {
            delivered += subscriber.measuredDeliveries();
        }
        return delivered;
    }

    private int publishersPerSubscriber() {
        return options.scenario() == Scenario.FAN_IN ? options.clients() : 1;
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

    /** Returns the broker's CPU time, or an empty value without --broker-pid or after the process ended. */
    private OptionalLong brokerCpuMicros() {
        return options.brokerPid().isPresent() ? procStats.cpuMicros(options.brokerPid().getAsLong())
                : OptionalLong.empty();
    }

    private long driverCpuMicros() {
        return procStats.cpuMicros(ProcessHandle.current().pid()).orElse(-1);
    }

    /** Returns true if the --broker-pid process has ended, false without --broker-pid. */
    private boolean brokerEnded() {
        return options.brokerPid().isPresent() && procStats.hasEnded(options.brokerPid().getAsLong());
    }

    /** Returns the outcome as reported: {@code broker_ended} if the --broker-pid process has ended. */
    private String reportedOutcome(Outcome outcome) {
        if (brokerEnded()) {
            log.printf("the broker process %d ended during the run, so its CPU figures are na%n",
                    options.brokerPid().getAsLong());
            return "broker_ended";
        }
        return outcome.name().toLowerCase(Locale.ROOT);
    }

    private LoadReport report(Outcome outcome, PhaseResult warmup, long startNanos, long endNanos, long expected,
                              OptionalLong brokerCpuBefore, OptionalLong brokerCpuAfter, long driverCpuBefore,
                              long driverCpuAfter) throws InterruptedException {
        Histogram latency = latencyRecorders.merged();
        long delivered = 0;
        long lost = 0;
        long measuredLost = 0;
        long duplicates = 0;
        long reordered = 0;
        long unexpected = 0;
        for (int i = 0; i < subscribers.length; i++) {
            Subscriber.Snapshot snapshot = snapshot(i);
            delivered += snapshot.measuredDeliveries();
            lost += snapshot.lost();
            measuredLost += snapshot.measuredLost();
            duplicates += snapshot.duplicates();
            reordered += snapshot.reordered();
            unexpected += snapshot.unexpected();
        }
        long sent = 0;
        long measuredSent = 0;
        long acknowledged = 0;
        for (Publisher publisher : publishers) {
            sent += publisher.sent();
            if (publisher.measuredFirst() >= 0) {
                measuredSent += publisher.sent() - publisher.measuredFirst();
            }
            acknowledged += publisher.acknowledged();
        }
        int closed = closedByBroker(0, connections.size());
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
                .add("rate_per_s", "target publish rate (msg/s, 0 = max)",
                        BigDecimal.valueOf(options.ratePerSecond()).stripTrailingZeros().toPlainString())
                .add("outcome", "outcome", reportedOutcome(outcome))
                .add("warmup_outcome", "warm-up outcome",
                        options.warmupMessages() > 0 ? warmup.outcome().name().toLowerCase(Locale.ROOT) : "none")
                .add("warmup_expected", "expected deliveries (warm-up)", warmup.expected())
                .add("warmup_delivered", "deliveries (warm-up)", warmup.delivered())
                .add("closed_by_broker", "connections the broker closed", closed)
                .add("expected", "expected deliveries (measured)", expected)
                .add("sent", "messages sent (measured)", measuredSent)
                .add("sent_deliveries", "deliveries due for the sent messages (measured)",
                        measuredSent * subscribersPerMessage())
                .add("delivered", "deliveries (measured)", delivered)
                .add("lost_measured", "lost (measured)", measuredLost)
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
        boolean hasBrokerCpu = brokerCpuBefore.isPresent() && brokerCpuAfter.isPresent();
        long brokerCpuMicros = hasBrokerCpu ? brokerCpuAfter.getAsLong() - brokerCpuBefore.getAsLong() : 0;
        double brokerCpu = hasBrokerCpu && delivered > 0 ? (double) brokerCpuMicros / delivered : Double.NaN;
        double driverCpu = driverCpuBefore >= 0 && driverCpuAfter >= 0 && delivered > 0
                ? (double) (driverCpuAfter - driverCpuBefore) / delivered : Double.NaN;
        report.add("broker_cpu_us_per_msg", "broker CPU per delivery (us)", brokerCpu, 3)
                .add("broker_cpu_ms", "broker CPU in window (ms)", hasBrokerCpu ? brokerCpuMicros / 1000.0 : Double.NaN, 0)
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
