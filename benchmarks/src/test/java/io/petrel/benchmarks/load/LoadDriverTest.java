package io.petrel.benchmarks.load;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.PetrelBroker;
import io.petrel.api.hook.AuthenticationResult;
import io.petrel.api.hook.BrokerInterceptor;
import io.petrel.api.hook.InterceptResult;
import io.petrel.api.hook.PublishEvent;
import io.petrel.api.hook.ReasonCode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * Runs the load driver with small counts against an embedded Petrel broker on an ephemeral loopback
 * port, so that the client codec, the delivery accounting and the report keys are checked against a
 * real broker.
 */
@Timeout(60)
class LoadDriverTest {

    private static PetrelBroker broker;
    private static String port;

    @BeforeAll
    static void startBroker() {
        broker = PetrelBroker.builder().host("127.0.0.1").port(0).build();
        broker.start();
        port = Integer.toString(broker.port());
    }

    @AfterAll
    static void closeBroker() {
        broker.close();
    }

    @Test
    void fanInQos1DeliversEachMessageOnce() throws Exception {
        // Three windows of 200 fit the subscriber's default queue of 1,000 messages, which drops the excess.
        LoadReport report = run("--scenario", "fan-in", "--clients", "3", "--qos", "1", "--messages", "3000",
                "--warmup-messages", "300", "--window", "200");

        assertEquals("complete", report.value("outcome"));
        assertEquals("3000", report.value("delivered"));
        assertEquals("0", report.value("lost"));
        assertEquals("0", report.value("duplicated"));
        assertEquals("0", report.value("reordered"));
        assertEquals("0", report.value("unacked"));
        assertNotEquals(LoadReport.NOT_MEASURED, report.value("p99_us"));
    }

    @Test
    void retainAndPersistentSubscribersReachTheBroker() throws Exception {
        long retainedBefore = broker.status().retainedMessages();
        int sessionsBefore = broker.status().sessions();

        LoadReport report = run("--scenario", "p2p", "--clients", "2", "--qos", "1", "--messages", "400",
                "--warmup-messages", "0", "--retain", "--persistent-subscribers");

        assertEquals("complete", report.value("outcome"));
        assertEquals("400", report.value("delivered"));
        assertEquals(retainedBefore + 2, broker.status().retainedMessages(), "one retained message per topic");
        // The two subscriber sessions outlive their connections; the clean publisher sessions end.
        await().atMost(Duration.ofSeconds(10)).until(() -> broker.status().sessions() == sessionsBefore + 2);
    }

    @Test
    void qos0LossMatchesBrokerDropCounter() throws Exception {
        // A queue of 50 messages and no window: the subscriber's queue overflows, and the broker
        // counts each message it drops.
        try (PetrelBroker small = startedBroker(BrokerConfig.builder().maxQueuedMessages(50))) {
            LoadReport report = runAgainst(Integer.toString(small.port()), "--scenario", "fan-in", "--clients", "4",
                    "--qos", "0", "--messages", "40000", "--warmup-messages", "0", "--window", "0",
                    "--drain-seconds", "1");
            double dropped = small.meterRegistry().find("petrel.messages.dropped").counters().stream()
                    .mapToDouble(Counter::count).sum();

            assertTrue(Long.parseLong(report.value("lost")) > 0, "the run lost messages");
            assertEquals(report.value("lost"), Long.toString((long) dropped));
        }
    }

    @Test
    void fanOutQos0ReachesEverySubscriber() throws Exception {
        LoadReport report = run("--scenario", "fan-out", "--clients", "5", "--messages", "500",
                "--warmup-messages", "50");

        assertEquals("complete", report.value("outcome"));
        assertEquals("2500", report.value("expected"));
        assertEquals("2500", report.value("delivered"));
        assertEquals("0", report.value("lost"));
    }

    @Test
    void pointToPointAtFixedRateCompletes() throws Exception {
        LoadReport report = run("--scenario", "p2p", "--clients", "2", "--qos", "1", "--rate", "4000",
                "--messages", "1000", "--warmup-messages", "0", "--payload-bytes", "25");

        assertEquals("complete", report.value("outcome"));
        assertEquals("1000", report.value("delivered"));
        assertEquals("0", report.value("lost"));
    }

    @Test
    void brokerPidGivesCpuPerDelivery() throws Exception {
        // The broker runs in this JVM, so this process's CPU time contains the broker's.
        LoadReport report = run("--scenario", "p2p", "--clients", "2", "--messages", "2000", "--warmup-messages", "0",
                "--broker-pid", Long.toString(ProcessHandle.current().pid()));

        assertNotEquals(LoadReport.NOT_MEASURED, report.value("broker_cpu_us_per_msg"));
    }

    @Test
    void idleConnectionsAreAllAccepted() throws Exception {
        LoadReport report = run("--scenario", "idle", "--connections", "40", "--connect-batch", "15",
                "--hold-seconds", "0", "--broker-pid", Long.toString(ProcessHandle.current().pid()));

        assertEquals("complete", report.value("outcome"));
        assertEquals("40", report.value("accepted"));
        assertEquals("40", report.value("open_after_hold"));
        assertNotEquals(LoadReport.NOT_MEASURED, report.value("broker_rss_bytes_per_conn"));
        assertNotEquals(LoadReport.NOT_MEASURED, report.value("broker_rss_bytes_per_conn_second_half"));
        assertNotEquals(LoadReport.NOT_MEASURED, report.value("syn_retransmits"));
        assertNotEquals(LoadReport.NOT_MEASURED, report.value("listen_overflows"));
    }

    @Test
    void refusedConnectionFailsTheRun() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            closedPort = socket.getLocalPort();
        }
        LoadDriver driver = new LoadDriver();
        new CommandLine(driver).parseArgs("--port", Integer.toString(closedPort), "--clients", "1",
                "--messages", "10", "--max-seconds", "10");

        assertThrows(IOException.class, driver::run);
    }

    @Test
    void payloadBelowMinimumIsRejected() {
        int exitCode = execute("--port", port, "--payload-bytes", "24").exitCode();

        assertEquals(2, exitCode);
    }

    @Test
    void idleRunWithoutBrokerFails() throws Exception {
        String closedPort = closedPort();

        IOException error = assertThrows(IOException.class, () -> runAgainst(closedPort, "--scenario", "idle",
                "--connections", "5", "--hold-seconds", "0"));

        assertTrue(error.getMessage().contains("no connection"), error.getMessage());
    }

    @Test
    void brokerProcessEndingMidRunIsReported() throws Exception {
        Process process = new ProcessBuilder("sleep", "60").start();
        try {
            CompletableFuture.runAsync(process::destroy, CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
            ByteArrayOutputStream log = new ByteArrayOutputStream();

            LoadReport report = runWithLog(log, port, "--scenario", "p2p", "--clients", "1", "--rate", "1000",
                    "--messages", "1500", "--warmup-messages", "0", "--broker-pid", Long.toString(process.pid()));

            assertEquals("broker_ended", report.value("outcome"));
            assertEquals(LoadReport.NOT_MEASURED, report.value("broker_cpu_ms"));
            assertEquals("1500", report.value("delivered"));
            assertTrue(log.toString().contains("broker process " + process.pid() + " ended"), log.toString());
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void brokerProcessEndingDuringIdleHoldIsReported() throws Exception {
        Process process = new ProcessBuilder("sleep", "60").start();
        try {
            CompletableFuture.runAsync(process::destroy, CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));

            LoadReport report = run("--scenario", "idle", "--connections", "4", "--hold-seconds", "1",
                    "--broker-pid", Long.toString(process.pid()));

            assertEquals("broker_ended", report.value("outcome"));
            assertEquals(LoadReport.NOT_MEASURED, report.value("broker_rss_after_bytes"));
            assertEquals(LoadReport.NOT_MEASURED, report.value("broker_rss_bytes_per_conn"));
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void tooManyOpenFilesFailsWithHint() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String driver = String.join(" ", "exec", java, "-cp", "'" + System.getProperty("java.class.path") + "'",
                LoadDriver.class.getName(), "--port", port, "--scenario", "idle", "--connections", "400",
                "--hold-seconds", "0", "--max-seconds", "20");
        Process process = new ProcessBuilder("bash", "-c", "ulimit -n 200 && " + driver)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the driver ended");
            assertEquals(1, process.exitValue(), errors);
            assertTrue(errors.contains("too many open files"), errors);
            assertTrue(errors.contains("ulimit -n"), errors);
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void warmupCutByMaxSecondsCountsNoLoss() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        LoadReport report = runWithLog(log, port, "--scenario", "p2p", "--clients", "2", "--qos", "1", "--window", "200",
                "--messages", "1000", "--warmup-messages", "1000000000", "--max-seconds", "2");

        assertEquals("timed_out", report.value("outcome"));
        assertEquals("timed_out", report.value("warmup_outcome"));
        assertEquals("0", report.value("lost"));
        assertEquals("0", report.value("sent"));
        assertNotEquals("0", report.value("warmup_delivered"));
        assertTrue(log.toString().contains("warm-up did not finish"), log.toString());
    }

    @Test
    void publishAboveMaxPacketSizeReportsClosedConnection() throws Exception {
        try (PetrelBroker small = startedBroker(BrokerConfig.builder().maxPacketSizeBytes(1024))) {
            ByteArrayOutputStream log = new ByteArrayOutputStream();

            LoadReport report = runWithLog(log, Integer.toString(small.port()), "--scenario", "p2p", "--clients", "1",
                    "--messages", "20", "--warmup-messages", "0", "--payload-bytes", "2048");

            assertEquals("connections_closed", report.value("outcome"));
            assertEquals("1", report.value("closed_by_broker"));
            assertEquals("0", report.value("delivered"));
            assertEquals(report.value("sent"), report.value("lost_measured"));
            assertTrue(log.toString().contains("the broker closed 1 of 1 publisher connections"), log.toString());
        }
    }

    @Test
    void incompleteRunExitsWithFour() {
        try (PetrelBroker small = startedBroker(BrokerConfig.builder().maxPacketSizeBytes(1024))) {
            int exitCode = execute("--port", Integer.toString(small.port()), "--scenario", "p2p", "--clients", "1",
                    "--messages", "20", "--warmup-messages", "0", "--payload-bytes", "2048", "--max-seconds", "30")
                    .exitCode();

            assertEquals(LoadDriver.EXIT_INCOMPLETE, exitCode);
        }
    }

    @Test
    void idleConnectionsClosedByBrokerAreReported() throws Exception {
        PetrelBroker closing = PetrelBroker.builder().host("127.0.0.1").port(0).build();
        closing.start();
        try {
            CompletableFuture.runAsync(closing::close, CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS));

            LoadReport report = runAgainst(Integer.toString(closing.port()), "--scenario", "idle", "--connections", "4",
                    "--hold-seconds", "2");

            assertEquals("connections_closed", report.value("outcome"));
            assertEquals("4", report.value("closed_by_broker"));
            assertEquals("0", report.value("open_after_hold"));
        } finally {
            closing.close();
        }
    }

    @Test
    void lowerGrantedQosFailsTheRun() {
        PetrelBroker qos0 = PetrelBroker.builder()
                .config(BrokerConfig.builder().host("127.0.0.1").port(0).maximumQos(0).build())
                .build();
        qos0.start();
        try {
            IOException error = assertThrows(IOException.class, () -> runAgainst(Integer.toString(qos0.port()),
                    "--scenario", "p2p", "--clients", "1", "--qos", "1", "--messages", "10"));

            assertTrue(error.getMessage().contains("granted QoS 0"), error.getMessage());
            assertTrue(error.getMessage().contains("--qos 1"), error.getMessage());
        } finally {
            qos0.close();
        }
    }

    @Test
    void connAckRejectionNamesReturnCode() {
        PetrelBroker closed = brokerWithPassword();
        closed.start();
        try {
            IOException error = assertThrows(IOException.class, () -> runAgainst(Integer.toString(closed.port()),
                    "--scenario", "p2p", "--clients", "1", "--messages", "10"));

            assertTrue(error.getMessage().contains("return code 5 (not authorized)"), error.getMessage());
            assertTrue(error.getMessage().contains("without a user name"), error.getMessage());
            assertFalse(error.getMessage().contains("check that a broker listens"), error.getMessage());
        } finally {
            closed.close();
        }
    }

    @Test
    void credentialsReachTheBroker() throws Exception {
        PetrelBroker closed = brokerWithPassword();
        closed.start();
        try {
            LoadReport report = runAgainst(Integer.toString(closed.port()), "--scenario", "p2p", "--clients", "1",
                    "--messages", "10", "--warmup-messages", "0", "--username", "load", "--password", "s3cret");

            assertEquals("complete", report.value("outcome"));
            assertEquals("10", report.value("delivered"));
        } finally {
            closed.close();
        }
    }

    @Test
    void wrongPasswordIsNamedWithoutIt() {
        PetrelBroker closed = brokerWithPassword();
        closed.start();
        try {
            IOException error = assertThrows(IOException.class, () -> runAgainst(Integer.toString(closed.port()),
                    "--scenario", "p2p", "--clients", "1", "--messages", "10", "--username", "load",
                    "--password", "wrong"));

            assertTrue(error.getMessage().contains("user name 'load' and a password"), error.getMessage());
            assertFalse(error.getMessage().contains("wrong"), error.getMessage());
        } finally {
            closed.close();
        }
    }

    @Test
    void passwordWithoutUsernameIsRejected() {
        int exitCode = execute("--port", port, "--password", "s3cret").exitCode();

        assertEquals(2, exitCode);
    }

    @Test
    void missingSubAckNamesTimeout() throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> acceptWithoutSubAck(server));

            IOException error = assertThrows(IOException.class, () -> runAgainst(
                    Integer.toString(server.getLocalPort()), "--scenario", "p2p", "--clients", "1", "--messages", "10",
                    "--connect-timeout-ms", "300"));

            assertTrue(error.getMessage().contains("no SUBACK within 300 ms"), error.getMessage());
            accepted.cancel(true);
        }
    }

    @Test
    void subAckWaitStopsAtMaxSeconds() throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> acceptWithoutSubAck(server));

            long start = System.nanoTime();
            IOException error = assertThrows(IOException.class, () -> runAgainst(
                    Integer.toString(server.getLocalPort()), "--scenario", "p2p", "--clients", "1", "--messages", "10",
                    "--connect-timeout-ms", "8000", "--max-seconds", "2"));
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            // The 8 s SUBACK timeout would end the run later; the bound is the run limit, not a speed.
            assertTrue(waitedMillis < 7_000, waitedMillis + " ms");
            assertTrue(error.getMessage().contains("reached --max-seconds while waiting for the SUBACK"),
                    error.getMessage());
            accepted.cancel(true);
        }
    }

    @Test
    void connAckWaitStopsAtMaxSeconds() throws Exception {
        // The listening socket completes TCP connections in its backlog but never replies to a CONNECT.
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));

            long start = System.nanoTime();
            IOException error = assertThrows(IOException.class, () -> runAgainst(
                    Integer.toString(server.getLocalPort()), "--scenario", "p2p", "--clients", "1", "--messages", "10",
                    "--connect-timeout-ms", "8000", "--max-seconds", "2"));
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            // The 8 s CONNACK timeout would end the run later; the bound is the run limit, not a speed.
            assertTrue(waitedMillis < 7_000, waitedMillis + " ms");
            assertTrue(error.getMessage().contains("reached --max-seconds while connecting the subscribers"),
                    error.getMessage());
        }
    }

    @Test
    void defaultWindowFitsDefaultQueue() throws Exception {
        // Ten QoS 1 publishers send to one subscriber, whose queue has the broker's default limit of 1,000 messages.
        LoadReport report = run("--scenario", "fan-in", "--clients", "10", "--qos", "1", "--messages", "5000",
                "--warmup-messages", "0");

        assertEquals("complete", report.value("outcome"));
        assertEquals("0", report.value("lost"));
    }

    @Test
    void stallMessageCountsCurrentPhase() throws Exception {
        try (PetrelBroker small = startedBroker(BrokerConfig.builder().maxQueuedMessages(50))) {
            ByteArrayOutputStream log = new ByteArrayOutputStream();

            LoadReport report = runWithLog(log, Integer.toString(small.port()), "--scenario", "fan-in", "--clients", "4",
                    "--messages", "20000", "--warmup-messages", "1000", "--window", "0", "--drain-seconds", "1");

            assertEquals("stalled", report.value("outcome"));
            assertTrue(log.toString().contains("in the measured phase: "), log.toString());
            assertTrue(log.toString().contains(" of 20000 deliveries of this phase arrived, and 20000 of 20000 messages"),
                    log.toString());
        }
    }

    @Test
    void slowFixedRateIsReportedAndCompletes() throws Exception {
        LoadReport report = run("--scenario", "p2p", "--clients", "1", "--rate", "0.5", "--messages", "2",
                "--warmup-messages", "0", "--drain-seconds", "1");

        assertEquals("0.5", report.value("rate_per_s"));
        assertEquals("complete", report.value("outcome"));
    }

    @Test
    void stalledWarmupIsMeasuredAndMarked() throws Exception {
        try (PetrelBroker small = startedBroker(BrokerConfig.builder().maxQueuedMessages(50))) {
            ByteArrayOutputStream log = new ByteArrayOutputStream();

            LoadReport report = runWithLog(log, Integer.toString(small.port()), "--scenario", "fan-in", "--clients", "4",
                    "--messages", "40", "--warmup-messages", "20000", "--window", "0", "--drain-seconds", "1");

            // The warm-up's dropped messages do not keep the measured phase from completing, and its
            // 40 messages fit into the queue of 50.
            assertEquals("stalled", report.value("warmup_outcome"));
            assertTrue(log.toString().contains("the warm-up stalled; measuring anyway"), log.toString());
            assertEquals("complete", report.value("outcome"));
            assertEquals("40", report.value("delivered"));
            assertFalse(LoadDriver.complete(report));
        }
    }

    @Test
    void warmupLossesDoNotHoldWindowShut() throws Exception {
        // Drops warm-up messages 10 to 79 on their way to the subscriber, which fills the publisher's
        // window of 50 with messages that never arrive. The measured messages all pass.
        PetrelBroker dropping = PetrelBroker.builder().host("127.0.0.1").port(0)
                .interceptor(new BrokerInterceptor() {
                    @Override
                    public CompletionStage<InterceptResult<PublishEvent>> onPublishOutbound(PublishEvent event) {
                        ByteBuffer payload = event.message().payload();
                        long sequence = payload.getLong(8);
                        boolean measured = payload.get(24) != 0;
                        return CompletableFuture.completedFuture(!measured && sequence >= 10 && sequence < 80
                                ? InterceptResult.reject(ReasonCode.UNSPECIFIED_ERROR, "dropped warm-up message")
                                : InterceptResult.proceed());
                    }
                })
                .build();
        dropping.start();
        try {
            LoadReport report = runAgainst(Integer.toString(dropping.port()), "--scenario", "p2p", "--clients", "1",
                    "--window", "50", "--messages", "100", "--warmup-messages", "200", "--drain-seconds", "1");

            assertEquals("stalled", report.value("warmup_outcome"));
            assertEquals("complete", report.value("outcome"));
            assertEquals("100", report.value("sent"));
            assertEquals("100", report.value("delivered"));
        } finally {
            dropping.close();
        }
    }

    @Test
    void completeNeedsCompleteWarmup() {
        LoadReport stalledWarmup = new LoadReport().add("warmup_outcome", "warm-up", "stalled")
                .add("outcome", "outcome", "complete");
        LoadReport noWarmup = new LoadReport().add("warmup_outcome", "warm-up", "none")
                .add("outcome", "outcome", "complete");
        LoadReport idle = new LoadReport().add("outcome", "outcome", "complete");

        assertFalse(LoadDriver.complete(stalledWarmup));
        assertTrue(LoadDriver.complete(noWarmup));
        assertTrue(LoadDriver.complete(idle));
    }

    @Test
    void idleCountsEveryRequestedConnection() throws Exception {
        // Accepts the clients whose identifier ends in -idle-0 to -idle-9 and rejects the others, so the
        // whole second half of 30 connections fails.
        PetrelBroker limited = PetrelBroker.builder().host("127.0.0.1").port(0)
                .authenticator(request -> CompletableFuture.completedFuture(
                        request.clientId().matches(".*-idle-[0-9]")
                                ? AuthenticationResult.success()
                                : AuthenticationResult.notAuthorized("only ten clients")))
                .build();
        limited.start();
        try {
            LoadReport report = runAgainst(Integer.toString(limited.port()), "--scenario", "idle", "--connections",
                    "30", "--connect-batch", "5", "--hold-seconds", "0");

            assertEquals("connections_failed", report.value("outcome"));
            assertEquals("10", report.value("accepted"));
            assertEquals("20", report.value("failed"));
            assertEquals("0", report.value("untried"));
        } finally {
            limited.close();
        }
    }

    @Test
    void passwordFromStandardInputReachesBroker() throws Exception {
        PetrelBroker closed = brokerWithPassword();
        closed.start();
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("s3cret\n".getBytes(StandardCharsets.UTF_8)));

            LoadReport report = runAgainst(Integer.toString(closed.port()), "--scenario", "p2p", "--clients", "1",
                    "--messages", "10", "--warmup-messages", "0", "--username", "load", "--password-stdin");

            assertEquals("complete", report.value("outcome"));
        } finally {
            System.setIn(stdin);
            closed.close();
        }
    }

    @Test
    void emptyStandardInputIsRejected() {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream(new byte[0]));
            CommandResult result = execute("--port", port, "--username", "load", "--password-stdin");

            assertEquals(2, result.exitCode());
            assertTrue(result.errors().contains("standard input ended before a password line"), result.errors());
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void passwordGivenTwiceIsRejected() {
        int exitCode = execute("--port", port, "--username", "load", "--password", "s3cret", "--password-stdin")
                .exitCode();

        assertEquals(2, exitCode);
    }

    @Test
    void labelWithControlCharacterIsRejected() {
        int lineBreak = execute("--port", port, "--label", "a\nb").exitCode();
        int tab = execute("--port", port, "--label", "a\tb").exitCode();
        int empty = execute("--port", port, "--label", "").exitCode();
        int lineSeparator = execute("--port", port, "--label", "a\u2028b").exitCode();
        int zeroWidthSpace = execute("--port", port, "--label", "a\u200Bb").exitCode();

        assertEquals(2, lineBreak);
        assertEquals(2, tab);
        assertEquals(2, empty);
        assertEquals(2, lineSeparator);
        assertEquals(2, zeroWidthSpace);
    }

    @Test
    void ignoredOptionsAreRejected() {
        CommandResult idle = execute("--port", port, "--scenario", "idle", "--connections", "2", "--qos", "1",
                "--messages", "10");
        CommandResult p2p = execute("--port", port, "--scenario", "p2p", "--hold-seconds", "1");

        assertEquals(2, idle.exitCode());
        assertTrue(idle.errors().contains("invalid --qos, --messages with --scenario idle"), idle.errors());
        assertEquals(2, p2p.exitCode());
        assertTrue(p2p.errors().contains("invalid --hold-seconds with --scenario p2p"), p2p.errors());
    }

    @Test
    void resultLineReplacesEveryKindOfSpace() {
        assertEquals("mosquitto_v2_x", LoadReport.withoutSpaces("mosquitto v2\u00A0x"));
    }

    @Test
    void rateOutsideRangeIsRejected() {
        int tiny = execute("--port", port, "--rate", "4.9E-324").exitCode();
        int huge = execute("--port", port, "--rate", "1e300").exitCode();

        assertEquals(2, tiny);
        assertEquals(2, huge);
    }

    @Test
    void versionIsPrinted() {
        StringWriter output = new StringWriter();
        CommandLine commandLine = LoadDriver.commandLine();
        commandLine.setOut(new PrintWriter(output));

        int exitCode = commandLine.execute("--version");

        assertEquals(0, exitCode);
        assertTrue(output.toString().startsWith("petrel-load "), output.toString());
    }

    @Test
    void labelWithEqualsSignIsRejected() {
        int exitCode = execute("--port", port, "--label", "a b=c").exitCode();

        assertEquals(2, exitCode);
    }

    @Test
    void payloadAboveIntRangeNamesRange() {
        CommandResult result = execute("--port", port, "--payload-bytes", "99999999999");

        assertEquals(2, result.exitCode());
        assertTrue(result.errors().contains("from 25 to 1048576"), result.errors());
    }

    @Test
    void brokerPidOfNoProcessIsRejected() {
        // Linux process ids stay below 2^22 (the largest pid_max), so no process has this one.
        int exitCode = execute("--port", port, "--broker-pid", Integer.toString(Integer.MAX_VALUE)).exitCode();

        assertEquals(2, exitCode);
    }

    @Test
    void qos2IsRejected() {
        int exitCode = execute("--port", port, "--qos", "2").exitCode();

        assertEquals(2, exitCode);
    }

    @Test
    void invalidOptionPrintsOneErrorWithoutUsage() {
        CommandResult result = execute("--port", port, "--qos", "2");

        assertEquals(2, result.exitCode());
        assertTrue(result.errors().contains("invalid --qos 2"), result.errors());
        assertTrue(result.errors().contains("--help"), result.errors());
        assertFalse(result.errors().contains("--payload-bytes"), result.errors());
        assertEquals(1, result.errors().lines().count(), result.errors());
    }

    /** Exit status and standard error of one run of the driver's command line. */
    private record CommandResult(int exitCode, String errors) {
    }

    /** Runs the driver's command line as {@code main} does and captures its standard error. */
    private static CommandResult execute(String... args) {
        StringWriter errors = new StringWriter();
        CommandLine commandLine = LoadDriver.commandLine();
        commandLine.setErr(new PrintWriter(errors));
        int exitCode = commandLine.execute(args);
        return new CommandResult(exitCode, errors.toString());
    }

    private static LoadReport run(String... options) throws IOException, InterruptedException {
        return runAgainst(port, options);
    }

    private static LoadReport runAgainst(String brokerPort, String... options) throws IOException, InterruptedException {
        return runWithLog(System.err, brokerPort, options);
    }

    /**
     * Runs the driver against {@code brokerPort} with a wall-time limit of 30 s unless {@code options}
     * set one, and writes its progress lines to {@code log} as well as standard error.
     */
    private static LoadReport runWithLog(OutputStream log, String brokerPort, String... options)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--port", brokerPort));
        if (!List.of(options).contains("--max-seconds")) {
            args.addAll(List.of("--max-seconds", "30"));
        }
        args.addAll(List.of(options));
        OutputStream both = log == System.err ? log : new TeeOutputStream(log, System.err);
        LoadDriver driver = new LoadDriver(new PrintStream(both, true, StandardCharsets.UTF_8));
        new CommandLine(driver).parseArgs(args.toArray(String[]::new));
        LoadReport report = driver.run();
        report.print(System.out); // shown in the test report when an assertion fails
        return report;
    }

    /** Starts a broker on 127.0.0.1 and an ephemeral port with the limits set in {@code config}. */
    private static PetrelBroker startedBroker(BrokerConfig.Builder config) {
        PetrelBroker started = PetrelBroker.builder().config(config.host("127.0.0.1").port(0).build()).build();
        started.start();
        return started;
    }

    /** Returns a broker that accepts only user name "load" with password "s3cret" and otherwise sends return code 5. */
    private static PetrelBroker brokerWithPassword() {
        return PetrelBroker.builder().host("127.0.0.1").port(0)
                .authenticator(request -> {
                    boolean userMatches = request.username().equals(Optional.of("load"));
                    boolean passwordMatches = request.password()
                            .map(password -> new String(password, StandardCharsets.UTF_8))
                            .equals(Optional.of("s3cret"));
                    return CompletableFuture.completedFuture(userMatches && passwordMatches
                            ? AuthenticationResult.success()
                            : AuthenticationResult.notAuthorized("user name or password not accepted"));
                })
                .build();
    }

    private static String closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return Integer.toString(socket.getLocalPort());
        }
    }

    /** Accepts one connection, replies to its CONNECT with an accepting CONNACK and then sends nothing. */
    private static void acceptWithoutSubAck(ServerSocket server) {
        try (Socket socket = server.accept()) {
            InputStream in = socket.getInputStream();
            in.read(); // CONNECT fixed header
            int remaining = in.read(); // the driver's CONNECT is shorter than 128 bytes
            in.readNBytes(remaining);
            socket.getOutputStream().write(new byte[] {0x20, 0x02, 0x00, 0x00});
            socket.getOutputStream().flush();
            while (in.read() >= 0) {
                // discard SUBSCRIBE and everything after it
            }
        } catch (IOException e) {
            // the driver closed the connection
        }
    }

    /** Writes every byte to two streams. */
    private static final class TeeOutputStream extends OutputStream {
        private final OutputStream first;
        private final OutputStream second;

        TeeOutputStream(OutputStream first, OutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(int b) throws IOException {
            first.write(b);
            second.write(b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            first.write(bytes, offset, length);
            second.write(bytes, offset, length);
        }
    }
}
