package io.petrel.benchmarks.load;

import io.petrel.api.BrokerException;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.cli.PetrelVersion;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Starts a Petrel broker with one MQTT listener for the load driver and the Mosquitto comparison, and
 * runs until the process receives SIGTERM or SIGINT, when it closes the broker. It prints
 * {@code listening on HOST:PORT (Petrel VERSION)} once the listener is bound.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.petrel.benchmarks.load.PetrelLauncher --port 1883
 * </pre>
 */
@Command(name = "petrel-launcher", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = PetrelVersion.class,
        description = "Runs a Petrel broker with one MQTT listener until SIGTERM or SIGINT.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            "1:the listener could not bind, for example because its port is in use",
            "2:invalid option",
            "130:stopped by SIGINT (the JVM exits with 128 plus the signal number)",
            "143:stopped by SIGTERM"
        })
public final class PetrelLauncher implements Callable<Integer> {

    /** Exit status when the broker cannot start, such as when the listener port is in use. */
    static final int EXIT_START_FAILED = 1;

    @Option(names = "--host", defaultValue = BrokerConfig.DEFAULT_HOST,
            description = "Listener address (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "1883", description = "Listener port, 0 for an ephemeral one "
            + "(default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--io-threads", defaultValue = "0",
            description = "Network event-loop threads; 0 for one per available processor (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    @Option(names = "--max-inflight", defaultValue = "" + BrokerConfig.DEFAULT_MAX_INFLIGHT_MESSAGES,
            description = "Outbound QoS 1 and 2 messages awaiting acknowledgement per client "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxInflight;

    @Option(names = "--max-queued", defaultValue = "" + BrokerConfig.DEFAULT_MAX_QUEUED_MESSAGES,
            description = "QoS 1 and 2 messages queued per session beyond the in-flight window "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxQueued;

    @Spec
    CommandSpec spec;

    /**
     * Starts the broker. An invalid option exits with status 2 and a listener that cannot bind with 1,
     * each after one error line.
     */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * Returns the launcher's command line. An invalid option prints one error line that names the
     * option and its value, rather than a stack trace or the whole usage text.
     */
    static CommandLine commandLine() {
        return CommandLines.withOneLineErrors(new PetrelLauncher());
    }

    @Override
    public Integer call() throws InterruptedException {
        BrokerConfig config = config();
        PetrelBroker broker = PetrelBroker.builder().config(config).build();
        try {
            broker.start();
        } catch (BrokerException e) {
            broker.close();
            spec.commandLine().getErr().println("error: " + describeStartFailure(e));
            spec.commandLine().getErr().flush();
            return EXIT_START_FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "petrel-launcher-shutdown"));
        System.out.println("listening on " + host + ":" + broker.port() + " (Petrel " + PetrelBroker.version() + ")");
        System.out.flush();
        stopped.await();
        return 0;
    }

    /**
     * Builds the broker configuration from the options. {@link BrokerConfig.Builder} checks each value,
     * and its error, which names the configuration key, is reported under the launcher's option.
     *
     * @throws ParameterException if an option is invalid
     */
    private BrokerConfig config() {
        if (host.isBlank() || new InetSocketAddress(host, 0).isUnresolved()) {
            throw new ParameterException(spec.commandLine(), "invalid --host '" + host
                    + "': expected an IP address or a host name that resolves, such as 127.0.0.1");
        }
        BrokerConfig.Builder builder = BrokerConfig.builder().host(host);
        apply("--port", port, () -> builder.port(port));
        apply("--io-threads", ioThreads, () -> builder.ioThreads(ioThreads));
        apply("--max-inflight", maxInflight, () -> builder.maxInflightMessages(maxInflight));
        apply("--max-queued", maxQueued, () -> builder.maxQueuedMessages(maxQueued));
        return builder.build();
    }

    private void apply(String option, int value, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "invalid " + option + " " + value + ": "
                    + allowedValues(e.getMessage()));
        }
    }

    /**
     * Returns the part of a {@link BrokerConfig.Builder} error that states the allowed values: the
     * text after {@code "invalid KEY = VALUE: "}, or the whole message if it has no such prefix.
     */
    static String allowedValues(String message) {
        int separator = message.indexOf(": ");
        return message.startsWith("invalid ") && separator >= 0 ? message.substring(separator + 2) : message;
    }

    private String describeStartFailure(BrokerException failure) {
        if (causedByAddressInUse(failure)) {
            return "port " + port + " on " + host + " is already in use; pass a free port with --port, "
                    + "or --port 0 for an ephemeral one";
        }
        return failure.getMessage() + "; check --host and --port";
    }

    /**
     * Returns true if a cause of the failure reports EADDRINUSE, which the JDK and Netty's native
     * transport both word "Address already in use".
     */
    private static boolean causedByAddressInUse(Throwable failure) {
        for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
            String message = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
            if (message.contains("address already in use")) {
                return true;
            }
        }
        return false;
    }
}
