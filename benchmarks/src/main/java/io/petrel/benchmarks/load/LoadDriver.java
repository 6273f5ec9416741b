package io.petrel.benchmarks.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.petrel.benchmarks.load.LoadOptions.Scenario;
import java.io.IOException;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Command-line load driver for any MQTT 3.1.1 broker: fan-in, fan-out, point-to-point and idle
 * connections, at QoS 0 or 1, at full speed or a fixed rate. It connects only to {@code --host} and
 * {@code --port}, and every run ends by itself after its messages or {@code --max-seconds}, closing its
 * connections. Each run prints one {@code RESULT key=value ...} line and a table on standard output,
 * and progress on standard error.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.petrel.benchmarks.load.LoadDriver --help
 * java -cp benchmarks/target/benchmarks.jar io.petrel.benchmarks.load.LoadDriver \
 *     --port 1883 --scenario fan-in --clients 10 --qos 1 --messages 200000 --window 50 --broker-pid 1234
 * </pre>
 *
 * <p>Keep {@code --window} times the publishers per subscriber below the broker's queue per session,
 * or the broker drops messages that the driver then counts as lost. That queue is 1,000 messages by
 * default in Petrel ({@code session.max_queued_messages}) and, according to mosquitto.conf(5), in
 * Mosquitto 2.0.11.
 */
@Command(name = "petrel-load", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = LoadDriver.Version.class,
        description = "Drives MQTT 3.1.1 load against one broker and reports deliveries, losses, duplicates, "
                + "reordering, throughput, end-to-end latency and, with --broker-pid, the broker's CPU time per "
                + "delivery and resident memory per connection (read from /proc).")
public final class LoadDriver implements Callable<Integer> {

    private static final int MAX_CLIENTS = 10_000;
    private static final int MAX_CONNECTIONS = 10_000;
    private static final int MAX_PAYLOAD_BYTES = 1_048_576;
    private static final long MAX_MESSAGES = 1_000_000_000L;
    /** Lowest non-zero --rate: one message per 1,000 s over all publishers. */
    private static final double MIN_RATE = 0.001;
    /** Highest --rate, far above what one machine delivers. */
    private static final double MAX_RATE = 100_000_000;
    /** Maximum bytes of a user name or password in CONNECT, whose length prefix has two bytes. */
    private static final int MAX_MQTT_STRING_BYTES = 65_535;
    /** Time after --max-seconds at which the process halts even if closing connections hangs. */
    private static final long HALT_GRACE_SECONDS = 30;
    /** Exit code after a report whose outcome is not {@code complete}, or whose warm-up stalled. */
    static final int EXIT_INCOMPLETE = 4;
    /** Options that only the messaging scenarios read. */
    private static final List<String> MESSAGING_OPTIONS = List.of("--clients", "--qos", "--payload-bytes",
            "--messages", "--warmup-messages", "--rate", "--window", "--max-inflight", "--retain",
            "--persistent-subscribers", "--drain-seconds");
    /** Options that only the idle scenario reads. */
    private static final List<String> IDLE_OPTIONS = List.of("--connections", "--hold-seconds");

    @Spec
    CommandLine.Model.CommandSpec spec;

    /** Destination of progress and warning lines. */
    private final PrintStream log;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Broker host (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "1883", description = "Broker port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--scenario", defaultValue = "fan-in",
            description = "fan-in (N publishers, 1 wildcard subscriber), fan-out (1 publisher, N subscribers), "
                    + "p2p (N publisher and subscriber pairs) or idle (M connections, no traffic) "
                    + "(default: ${DEFAULT-VALUE}).")
    String scenario;

    @Option(names = "--clients", defaultValue = "10",
            description = "N: publishers in fan-in, subscribers in fan-out, pairs in p2p (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--qos", defaultValue = "0", description = "QoS of publishes and subscriptions, 0 or 1 "
            + "(default: ${DEFAULT-VALUE}).")
    int qos;

    @Option(names = "--payload-bytes", defaultValue = "64",
            description = "Payload size in bytes, 25 to 1048576. Each PUBLISH adds its topic and header, about 40 "
                    + "bytes, and a broker closes the connection of a packet above its maximum size, which is "
                    + "1048576 bytes by default in Petrel (default: ${DEFAULT-VALUE}).")
    long payloadBytes;

    @Option(names = "--messages", defaultValue = "100000",
            description = "Measured messages published in total over all publishers (default: ${DEFAULT-VALUE}).")
    long messages;

    @Option(names = "--warmup-messages", defaultValue = "10000",
            description = "Messages published and delivered before measuring (default: ${DEFAULT-VALUE}).")
    long warmupMessages;

    @Option(names = "--rate", defaultValue = "0",
            description = "Messages published per second over all publishers, 0.001 to 100000000; 0 sends as fast as "
                    + "--window allows (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--window", defaultValue = "50",
            description = "Messages per publisher sent but not yet delivered before the publisher pauses; "
                    + "0 for no limit. Keep it times the publishers per subscriber below the broker's queue per "
                    + "session, 1000 messages by default in Petrel and Mosquitto (default: ${DEFAULT-VALUE}).")
    long window;

    @Option(names = "--max-inflight", defaultValue = "100",
            description = "QoS 1 publishes per publisher awaiting PUBACK, 1 to 65535 (default: ${DEFAULT-VALUE}).")
    int maxInflight;

    @Option(names = "--connections", defaultValue = "1000",
            description = "M: connections opened by the idle scenario, at most 10000 (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--connect-batch", defaultValue = "200",
            description = "C: connections opened at a time (default: ${DEFAULT-VALUE}).")
    int connectBatch;

    @Option(names = "--hold-seconds", defaultValue = "5",
            description = "Seconds the idle scenario keeps its connections open (default: ${DEFAULT-VALUE}).")
    int holdSeconds;

    @Option(names = "--keepalive", defaultValue = "60",
            description = "MQTT keepalive in seconds; PINGREQ goes out every three quarters of it, 0 disables it "
                    + "(default: ${DEFAULT-VALUE}).")
    int keepAliveSeconds;

    @Option(names = "--username",
            description = "User name sent in every CONNECT. Without it the driver connects anonymously.")
    String username;

    @Option(names = "--password",
            description = "Password sent in every CONNECT, with --username. Other users of the machine can read it "
                    + "in the process list; --password-stdin avoids that.")
    char[] password;

    @Option(names = "--password-stdin",
            description = "Read the password from the first line of standard input instead, as in "
                    + "'--password-stdin < FILE' or from a pipe.")
    boolean passwordFromStdin;

    @Option(names = "--retain",
            description = "Publish with the retain flag, so that every message also replaces the retained message "
                    + "of its topic.")
    boolean retain;

    @Option(names = "--persistent-subscribers",
            description = "Connect subscribers with clean session 0, so that the broker keeps their sessions "
                    + "(and, with persistence, stores each QoS 1 message for them). The sessions stay in the "
                    + "broker after the run.")
    boolean persistentSubscribers;

    @Option(names = "--max-seconds", defaultValue = "60",
            description = "Wall-time limit of the run in seconds; the run stops and reports when it passes "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxSeconds;

    @Option(names = "--drain-seconds", defaultValue = "5",
            description = "Seconds without any send or delivery after which a phase is declared stalled "
                    + "(default: ${DEFAULT-VALUE}).")
    int drainSeconds;

    @Option(names = "--connect-timeout-ms", defaultValue = "10000",
            description = "Time for a TCP connect plus CONNACK, and for a SUBACK (default: ${DEFAULT-VALUE}).")
    int connectTimeoutMillis;

    @Option(names = "--threads", defaultValue = "0",
            description = "Driver event-loop threads; 0 for one per processor (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--broker-pid",
            description = "Process id of the broker, to read its CPU time and resident memory from /proc.")
    Long brokerPid;

    @Option(names = "--label", defaultValue = "-",
            description = "Free text copied into the report, such as the broker name, without '=' or control "
                    + "characters; spaces become '_' in the RESULT line (default: ${DEFAULT-VALUE}).")
    String label;

    /** Creates a driver that writes progress and warnings to standard error. */
    public LoadDriver() {
        this(System.err);
    }

    /** Creates a driver that writes progress and warnings to {@code log}. */
    LoadDriver(PrintStream log) {
        this.log = log;
    }

    /**
     * Runs the driver. Exit codes:
     * <ul>
     *   <li>0 after a report with outcome {@code complete} and a complete warm-up, if any,</li>
     *   <li>1 without a report, when connecting or subscribing failed or the driver ran out of file
     *       descriptors,</li>
     *   <li>2 on invalid options,</li>
     *   <li>3 when the run had to be halted {@value #HALT_GRACE_SECONDS} s after its limit,</li>
     *   <li>{@value #EXIT_INCOMPLETE} after a report with any other outcome ({@code stalled},
     *       {@code timed_out}, {@code connections_failed}, {@code connections_closed} or
     *       {@code broker_ended}), or after a warm-up that stalled.</li>
     * </ul>
     */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * Returns the driver's command line. An invalid option prints one error line that names the
     * option and points to {@code --help}, rather than the whole usage text.
     */
    static CommandLine commandLine() {
        return CommandLines.withOneLineErrors(new LoadDriver());
    }

    @Override
    public Integer call() throws InterruptedException {
        try {
            LoadReport report = run();
            report.print(System.out);
            return complete(report) ? 0 : EXIT_INCOMPLETE;
        } catch (IOException e) {
            log.println("load run failed: " + e.getMessage() + (e.getCause() != null ? ": " + e.getCause() : ""));
            return 1;
        }
    }

    /**
     * Runs the scenario the parsed options describe and returns its report.
     *
     * @throws IOException        if connecting or subscribing fails
     * @throws ParameterException if an option is invalid
     */
    LoadReport run() throws IOException, InterruptedException {
        LoadOptions options = validate();
        Thread halt = startHaltTimer(options.maxSeconds());
        int ioThreads = options.threads() > 0 ? options.threads() : Runtime.getRuntime().availableProcessors();
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory("load-io", true),
                factory);
        try {
            Bootstrap bootstrap = new Bootstrap()
                    .group(group)
                    .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, options.connectTimeoutMillis());
            Connector connector = new Connector(bootstrap, options.broker(), options.keepAliveSeconds(), credentials(),
                    options.connectTimeoutMillis(), options.connectBatch());
            Deadline deadline = Deadline.inSeconds(options.maxSeconds());
            ProcStats procStats = ProcStats.create();
            String runId = Integer.toString(new Random().nextInt(1 << 30), 36);
            log.printf("driving %s against %s with %d %s threads%n", options.scenario().optionValue(),
                    options.broker(), ioThreads, epoll ? "epoll" : "NIO");
            return options.scenario() == Scenario.IDLE
                    ? new IdleRun(options, connector, deadline, procStats, log, runId).run()
                    : new MessagingRun(options, connector, deadline, procStats, log, runId).run();
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            halt.interrupt();
        }
    }

    /** Checks every option and returns them as one value; a violation names the option and the range. */
    private LoadOptions validate() {
        Scenario parsedScenario;
        try {
            parsedScenario = Scenario.parse(scenario);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        checkScenarioOptions(parsedScenario);

        checkRange("--port", port, 1, 65_535);
        checkRange("--clients", clients, 1, MAX_CLIENTS);
        checkRange("--qos", qos, 0, 1);
        checkRange("--payload-bytes", payloadBytes, Payloads.MIN_BYTES, MAX_PAYLOAD_BYTES);
        checkRange("--messages", messages, 1, MAX_MESSAGES);
        checkRange("--warmup-messages", warmupMessages, 0, MAX_MESSAGES);
        checkRange("--window", window, 0, Integer.MAX_VALUE);
        checkRange("--max-inflight", maxInflight, 1, 65_535);
        checkRange("--connections", connections, 1, MAX_CONNECTIONS);
        checkRange("--connect-batch", connectBatch, 1, MAX_CONNECTIONS);
        checkRange("--hold-seconds", holdSeconds, 0, 3_600);
        checkRange("--keepalive", keepAliveSeconds, 0, 65_535);
        checkRange("--max-seconds", maxSeconds, 1, 86_400);
        checkRange("--drain-seconds", drainSeconds, 1, 3_600);
        checkRange("--connect-timeout-ms", connectTimeoutMillis, 100, 600_000);
        checkRange("--threads", threads, 0, 256);

        if (!(rate == 0 || (rate >= MIN_RATE && rate <= MAX_RATE))) {
            throw new ParameterException(spec.commandLine(), "invalid --rate " + rate
                    + ": expected 0 (as fast as possible) or " + MIN_RATE + " to " + (long) MAX_RATE
                    + " messages per second");
        }
        if (brokerPid != null && brokerPid <= 0) {
            throw new ParameterException(spec.commandLine(), "invalid --broker-pid " + brokerPid
                    + ": expected the process id of the running broker");
        }
        // Where /proc exists, a missing process would only fail at the end of the measured window.
        if (brokerPid != null && Files.isDirectory(Path.of("/proc/self")) && ProcStats.create().hasEnded(brokerPid)) {
            throw new ParameterException(spec.commandLine(), "invalid --broker-pid " + brokerPid
                    + ": no running process has this id; pass the process id of the running broker");
        }
        if (passwordFromStdin) {
            if (password != null) {
                throw new ParameterException(spec.commandLine(), "invalid --password with --password-stdin: "
                        + "give the password one way only");
            }
            password = readPasswordLine(System.in);
        }
        if (password != null && username == null) {
            throw new ParameterException(spec.commandLine(), "invalid --password without --username: MQTT 3.1.1 "
                    + "sends a password only with a user name [MQTT-3.1.2-22]");
        }
        if (username != null && username.getBytes(StandardCharsets.UTF_8).length > MAX_MQTT_STRING_BYTES) {
            throw new ParameterException(spec.commandLine(), "invalid --username: longer than "
                    + MAX_MQTT_STRING_BYTES + " bytes in UTF-8");
        }
        if (password != null && StandardCharsets.UTF_8.encode(CharBuffer.wrap(password)).remaining()
                > MAX_MQTT_STRING_BYTES) {
            throw new ParameterException(spec.commandLine(), "invalid --password: longer than "
                    + MAX_MQTT_STRING_BYTES + " bytes in UTF-8");
        }
        if (label.isEmpty() || label.contains("=") || label.codePoints().anyMatch(LoadDriver::breaksResultLine)) {
            StringBuilder printable = new StringBuilder();
            label.codePoints().forEach(c -> printable.appendCodePoint(breaksResultLine(c) ? '?' : c));
            throw new ParameterException(spec.commandLine(), "invalid --label '" + printable
                    + "': expected at least one character and no '=', line or paragraph separator, control or "
                    + "formatting character, which would break the key=value pairs of the RESULT line");
        }

        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new ParameterException(spec.commandLine(), "invalid --host '" + host + "': the name does not resolve");
        }
        return new LoadOptions(address, parsedScenario, clients, qos, (int) payloadBytes, messages, warmupMessages, rate, window, maxInflight,
                connections, connectBatch, holdSeconds, keepAliveSeconds, retain, persistentSubscribers, maxSeconds, drainSeconds,
                connectTimeoutMillis, threads, brokerPid == null ? OptionalLong.empty() : OptionalLong.of(brokerPid),
                label);
    }

    /**
     * Returns true for a code point that a label may not contain: a control, formatting (such as a
     * bidirectional control or a zero-width space), line or paragraph separator, surrogate or
     * unassigned character. Other whitespace becomes '_' in the RESULT line.
     */
    private static boolean breaksResultLine(int codePoint) {
        return switch (Character.getType(codePoint)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SURROGATE, Character.UNASSIGNED -> true;
            default -> false;
        };
    }

    /**
     * Returns true if the run and its warm-up, if the report has one, both ended complete. The idle
     * scenario has no warm-up key.
     */
    static boolean complete(LoadReport report) {
        String warmup = report.value("warmup_outcome");
        return "complete".equals(report.value("outcome"))
                && (warmup == null || warmup.equals("complete") || warmup.equals("none"));
    }

    /**
     * Reads one line from {@code in} as the password, without its line break.
     *
     * @throws ParameterException if the input ends before a line
     */
    private char[] readPasswordLine(InputStream in) {
        StringBuilder line = new StringBuilder();
        try {
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            int c;
            while ((c = reader.read()) >= 0 && c != '\n') {
                line.append((char) c);
            }
            if (c < 0 && line.length() == 0) {
                throw new ParameterException(spec.commandLine(), "invalid --password-stdin: standard input ended "
                        + "before a password line; pipe or redirect the password into the driver");
            }
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "invalid --password-stdin: standard input could not "
                    + "be read (" + e.getMessage() + ")");
        }
        if (line.length() > 0 && line.charAt(line.length() - 1) == '\r') {
            line.setLength(line.length() - 1);
        }
        char[] read = new char[line.length()];
        line.getChars(0, line.length(), read, 0);
        return read;
    }

    private Credentials credentials() {
        if (username == null) {
            return Credentials.NONE;
        }
        byte[] encodedPassword = null;
        if (password != null) {
            ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
            encodedPassword = new byte[encoded.remaining()];
            encoded.get(encodedPassword);
        }
        return new Credentials(username, encodedPassword);
    }

    /**
     * Rejects options given on the command line that {@code parsedScenario} would ignore, such as
     * {@code --qos} with the idle scenario. A run then never measures something other than what its
     * command line requests.
     */
    private void checkScenarioOptions(Scenario parsedScenario) {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        boolean idle = parsedScenario == Scenario.IDLE;
        List<String> ignored = (idle ? MESSAGING_OPTIONS : IDLE_OPTIONS).stream()
                .filter(parsed::hasMatchedOption)
                .toList();
        if (ignored.isEmpty()) {
            return;
        }
        String pronoun = ignored.size() == 1 ? "it" : "them";
        String reason = idle ? "the idle scenario sends no messages and reads only the connection options"
                : "only --scenario idle reads " + pronoun;
        throw new ParameterException(spec.commandLine(), "invalid " + String.join(", ", ignored) + " with --scenario "
                + parsedScenario.optionValue() + ": " + reason + "; leave " + pronoun + " out");
    }

    private void checkRange(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ParameterException(spec.commandLine(), "invalid " + option + " " + value
                    + ": expected an integer from " + min + " to " + max);
        }
    }

    /**
     * Starts a daemon thread that halts the process {@value #HALT_GRACE_SECONDS} s after the wall-time
     * limit, in case closing connections or shutting down the event loops hangs; interrupt it to
     * cancel.
     */
    private static Thread startHaltTimer(int maxSeconds) {
        Thread timer = new Thread(() -> {
            try {
                TimeUnit.SECONDS.sleep(maxSeconds + HALT_GRACE_SECONDS);
                System.err.println("load run did not end " + HALT_GRACE_SECONDS + " s after --max-seconds; halting");
                Runtime.getRuntime().halt(3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // cancelled: the run ended normally
            }
        }, "load-halt-timer");
        timer.setDaemon(true);
        timer.start();
        return timer;
    }

    /** The driver version from the Maven metadata in the jar, or "unknown" when run from class files. */
    static final class Version implements CommandLine.IVersionProvider {

        private static final String POM_PROPERTIES = "/META-INF/maven/io.petrel/petrel-benchmarks/pom.properties";

        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = LoadDriver.class.getResourceAsStream(POM_PROPERTIES)) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {"petrel-load " + properties.getProperty("version", "unknown")};
        }
    }
}
