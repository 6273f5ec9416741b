package io.petrel.broker.cli;

import io.petrel.api.store.StoreOptions;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.config.ConfigException;
import io.petrel.broker.config.ConfigLoader;
import io.petrel.broker.config.LoadedConfig;
import java.io.PrintWriter;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code petrel} command: loads the configuration, starts the broker and runs it until SIGTERM
 * or SIGINT, then closes it and exits with status 0.
 *
 * <p>Without {@code --config} it reads {@code conf/petrel.conf} under the distribution home (the
 * {@value #HOME_PROPERTY} system property, set by {@code bin/petrel}) if that file exists, and the
 * built-in defaults otherwise. {@code PETREL_*} environment variables override either.
 *
 * <p>A configuration error or a failed start prints one line on standard error and exits with status 1
 * (the stack trace is logged at DEBUG). Invalid command-line arguments exit with status 2.
 */
@Command(
        name = "petrel",
        mixinStandardHelpOptions = true,
        versionProvider = PetrelVersion.class,
        description = {
            "Starts the Petrel MQTT broker and runs it until SIGTERM or SIGINT.",
            "Every configuration key can be overridden by an environment variable: PETREL_ plus the key "
                    + "in upper case with '.' replaced by '_', e.g. PETREL_LISTENER_PORT."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            "0:stopped by SIGTERM or SIGINT",
            "1:invalid configuration or failed start",
            "2:invalid command-line arguments"
        })
public final class PetrelCommand implements Callable<Integer> {

    /** System property that names the distribution home directory, set by {@code bin/petrel}. */
    public static final String HOME_PROPERTY = "petrel.home";

    /** Directory under the distribution home whose jars are loaded as hook plugins. */
    static final String PLUGINS_DIRECTORY = "plugins";

    /** Exit status of a configuration error, a failed start or a failed close. */
    static final int EXIT_FAILURE = 1;

    private static final Logger LOG = LoggerFactory.getLogger(PetrelCommand.class);
    private static final Path DEFAULT_CONFIG = Path.of("conf", "petrel.conf");

    @Option(
            names = {"-c", "--config"},
            paramLabel = "FILE",
            description = "Configuration file. Default: conf/petrel.conf under the distribution home "
                    + "if it exists, else the built-in defaults.")
    private Path configFile;

    @Spec
    private CommandSpec spec;

    private final Map<String, String> environment;
    private final Optional<Path> home;

    /**
     * Creates the command.
     *
     * @param environment the process environment, the source of {@code PETREL_*} overrides
     * @param home        the distribution home whose {@code conf/petrel.conf} is the default
     *                    configuration file, if any
     */
    PetrelCommand(Map<String, String> environment, Optional<Path> home) {
        this.environment = Map.copyOf(environment);
        this.home = Objects.requireNonNull(home, "home");
    }

    /** Runs the command and exits the JVM with its status. */
    public static void main(String[] args) {
        Optional<Path> home = Optional.ofNullable(System.getProperty(HOME_PROPERTY)).map(Path::of);
        int status = commandLine(System.getenv(), home).execute(args);
        System.exit(status);
    }

    /** Returns a picocli command line for this command, for {@link #main} and tests. */
    static CommandLine commandLine(Map<String, String> environment, Optional<Path> home) {
        return new CommandLine(new PetrelCommand(environment, home));
    }

    @Override
    public Integer call() throws InterruptedException {
        LoadedConfig loaded;
        try {
            loaded = loadConfig();
        } catch (ConfigException e) {
            LOG.debug("Invalid configuration", e);
            return fail(e.getMessage());
        }
        if (!loaded.environmentOverrides().isEmpty()) {
            LOG.info("Configuration values overridden by environment variables {}",
                    String.join(", ", loaded.environmentOverrides()));
        }

        ShutdownSignals signals = ShutdownSignals.install();
        try {
            return run(loaded, signals);
        } finally {
            signals.stopped();
        }
    }

    private int run(LoadedConfig loaded, ShutdownSignals signals) throws InterruptedException {
        PetrelBroker broker;
        try {
            PetrelBroker.Builder builder = PetrelBroker.builder().config(loaded.config());
            if (home.isPresent()) {
                // Authenticators, authorizers and interceptors packed as jars in plugins/.
                builder.plugins(home.get().resolve(PLUGINS_DIRECTORY));
            }
            configurePersistence(builder, loaded.config());
            broker = builder.build();
        } catch (RuntimeException e) {
            LOG.debug("Cannot build the broker", e);
            return fail("cannot start: " + StartFailures.messageOf(e));
        }

        try {
            broker.start();
        } catch (RuntimeException e) {
            LOG.debug("Cannot start the broker", e);
            broker.close();
            return fail("cannot start: " + StartFailures.describe(e, loaded));
        }

        List<String> addresses = broker.listenerAddresses().stream().map(PetrelCommand::format).toList();
        LOG.info("Petrel {} started with configuration from {}, listening for MQTT connections on {}; "
                + "send SIGTERM or press Ctrl+C to stop", PetrelVersion.current(), loaded.source(),
                String.join(", ", addresses));

        String reason = signals.await();
        LOG.info("Stopping on {}", reason);
        try {
            broker.close();
        } catch (RuntimeException e) {
            LOG.error("Failed to close the broker", e);
            return EXIT_FAILURE;
        }
        return CommandLine.ExitCode.OK;
    }

    /**
     * Opens the journals of the {@code petrel-persistence} jar under {@code persistence.dir} when
     * persistence is enabled. Without that jar on the class path the broker keeps retained messages,
     * persistent sessions and dead letters in memory, and logs a WARN line saying so.
     */
    private static void configurePersistence(PetrelBroker.Builder builder, BrokerConfig config) {
        if (!config.persistenceEnabled()) {
            LOG.info("Persistence is off ({} = false); retained messages, persistent sessions and dead letters "
                    + "are kept in memory only",
                    BrokerConfig.PERSISTENCE_ENABLED);
            return;
        }
        if (PetrelBroker.Builder.findStoreProvider().isEmpty()) {
            LOG.warn("{} is true, but no petrel-persistence jar is on the class path; retained messages, "
                    + "persistent sessions and dead letters are kept in memory only",
                    BrokerConfig.PERSISTENCE_ENABLED);
            return;
        }
        Path dataDirectory = Path.of(config.persistenceDir()).toAbsolutePath().normalize();
        builder.persistence(dataDirectory, config.storeOptions());
        StoreOptions options = config.storeOptions();
        LOG.info("Keeping retained messages, persistent sessions and dead letters in the data directory {} "
                + "({} = {} bytes, {} = {} bytes, {} = {})", dataDirectory,
                BrokerConfig.PERSISTENCE_MAX_SIZE, options.maxDataBytes(),
                BrokerConfig.PERSISTENCE_MIN_FREE_SPACE, options.minFreeBytes(),
                BrokerConfig.PERSISTENCE_SYNC, options.sync().name().toLowerCase(Locale.ROOT));
    }

    private LoadedConfig loadConfig() throws ConfigException {
        if (configFile != null) {
            return ConfigLoader.load(configFile, environment);
        }
        if (home.isEmpty()) {
            LOG.info("No distribution home set (system property {}); using the built-in defaults", HOME_PROPERTY);
            return ConfigLoader.loadDefaults(environment);
        }
        Path defaultFile = home.get().resolve(DEFAULT_CONFIG);
        if (Files.exists(defaultFile)) {
            return ConfigLoader.load(defaultFile, environment);
        }
        LOG.info("No {}; using the built-in defaults", defaultFile);
        return ConfigLoader.loadDefaults(environment);
    }

    private int fail(String message) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("petrel: " + message);
        err.flush();
        return EXIT_FAILURE;
    }

    /** Formats an address as {@code host:port}, with brackets around an IPv6 address. */
    static String format(InetSocketAddress address) {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        if (address.getAddress() instanceof Inet6Address) {
            host = "[" + host + "]";
        }
        return host + ":" + address.getPort();
    }
}
