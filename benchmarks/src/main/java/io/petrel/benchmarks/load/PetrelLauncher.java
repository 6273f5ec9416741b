package io.petrel.benchmarks.load;

import io.petrel.broker.BrokerConfig;
import io.petrel.broker.PetrelBroker;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Starts a Petrel broker with one MQTT listener for the load driver and the Mosquitto comparison, and
 * runs until the process receives SIGTERM or SIGINT, when it closes the broker. It prints
 * {@code listening on HOST:PORT} once the listener is bound.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.petrel.benchmarks.load.PetrelLauncher --port 1883
 * </pre>
 */
@Command(name = "petrel-launcher", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs a Petrel broker with one MQTT listener until SIGTERM or SIGINT.")
public final class PetrelLauncher implements Callable<Integer> {

    @Option(names = "--host", defaultValue = BrokerConfig.DEFAULT_HOST,
            description = "Listener address (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "1883", description = "Listener port, 0 for an ephemeral one "
            + "(default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--io-threads", defaultValue = "0",
            description = "Network event-loop threads; 0 for Netty's default (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    @Option(names = "--max-inflight", defaultValue = "" + BrokerConfig.DEFAULT_MAX_INFLIGHT_MESSAGES,
            description = "Outbound QoS 1 and 2 messages awaiting acknowledgement per client "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxInflight;

    @Option(names = "--max-queued", defaultValue = "" + BrokerConfig.DEFAULT_MAX_QUEUED_MESSAGES,
            description = "QoS 1 and 2 messages queued per session beyond the in-flight window "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxQueued;

    /** Starts the broker; exits with 1 if the configuration is invalid or the listener cannot bind. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new PetrelLauncher()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        BrokerConfig config = BrokerConfig.builder()
                .host(host)
                .port(port)
                .ioThreads(ioThreads)
                .maxInflightMessages(maxInflight)
                .maxQueuedMessages(maxQueued)
                .build();
        PetrelBroker broker = PetrelBroker.builder().config(config).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "petrel-launcher-shutdown"));
        broker.start();
        System.out.println("listening on " + host + ":" + broker.port() + " (Petrel " + PetrelBroker.version() + ")");
        System.out.flush();
        stopped.await();
        return 0;
    }
}
