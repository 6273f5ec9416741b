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
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
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
        PetrelBroker small = PetrelBroker.builder()
                .config(BrokerConfig.builder().host("127.0.0.1").port(0).maxQueuedMessages(50).build())
                .build();
        small.start();
        try {
            LoadReport report = runAgainst(Integer.toString(small.port()), "--scenario", "fan-in", "--clients", "4",
                    "--qos", "0", "--messages", "40000", "--warmup-messages", "0", "--window", "0",
                    "--drain-seconds", "1");
            double dropped = small.meterRegistry().find("petrel.messages.dropped").counters().stream()
                    .mapToDouble(Counter::count).sum();

            assertTrue(Long.parseLong(report.value("lost")) > 0, "the run lost messages");
            assertEquals(report.value("lost"), Long.toString((long) dropped));
        } finally {
            small.close();
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
        int exitCode = new CommandLine(new LoadDriver()).execute("--port", port, "--payload-bytes", "24");

        assertEquals(2, exitCode);
    }

    @Test
    void idleRunWithoutBrokerReportsFailedConnections() throws Exception {
        String closedPort;
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            closedPort = Integer.toString(socket.getLocalPort());
        }

        LoadReport report = runAgainst(closedPort, "--scenario", "idle", "--connections", "5", "--hold-seconds", "0");

        assertEquals("connections_failed", report.value("outcome"));
        assertEquals("0", report.value("accepted"));
    }

    @Test
    void brokerPidOfNoProcessIsRejected() {
        // Linux process ids stay below 2^22 (the largest pid_max), so no process has this one.
        int exitCode = new CommandLine(new LoadDriver()).execute("--port", port, "--broker-pid",
                Integer.toString(Integer.MAX_VALUE));

        assertEquals(2, exitCode);
    }

    @Test
    void qos2IsRejected() {
        int exitCode = new CommandLine(new LoadDriver()).execute("--port", port, "--qos", "2");

        assertEquals(2, exitCode);
    }

    @Test
    void invalidOptionPrintsOneErrorWithoutUsage() {
        StringWriter errors = new StringWriter();
        CommandLine commandLine = LoadDriver.commandLine();
        commandLine.setErr(new PrintWriter(errors));

        int exitCode = commandLine.execute("--port", port, "--qos", "2");

        assertEquals(2, exitCode);
        assertTrue(errors.toString().contains("invalid --qos 2"), errors.toString());
        assertTrue(errors.toString().contains("--help"), errors.toString());
        assertFalse(errors.toString().contains("--payload-bytes"), errors.toString());
    }

    private static LoadReport run(String... options) throws IOException, InterruptedException {
        return runAgainst(port, options);
    }

    private static LoadReport runAgainst(String brokerPort, String... options) throws IOException, InterruptedException {
        LoadDriver driver = new LoadDriver();
        String[] args = new String[options.length + 4];
        args[0] = "--port";
        args[1] = brokerPort;
        args[2] = "--max-seconds";
        args[3] = "30";
        System.arraycopy(options, 0, args, 4, options.length);
        new CommandLine(driver).parseArgs(args);
        LoadReport report = driver.run();
        report.print(System.out); // shown in the test report when an assertion fails
        return report;
    }
}
