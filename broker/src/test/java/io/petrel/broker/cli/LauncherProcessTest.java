package io.petrel.broker.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.petrel.api.hook.Authorizer;
import io.petrel.broker.testing.PluginJars;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the real {@code petrel} launcher as a child JVM on the test class path, as {@code bin/petrel}
 * does, and talks to it over MQTT on 127.0.0.1.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LauncherProcessTest {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final long EXIT_TIMEOUT_SECONDS = 30;
    private static final long DELIVERY_TIMEOUT_SECONDS = 10;
    /** Bound on each blocking Paho call; without it, connect waits for CONNACK forever. */
    private static final long CLIENT_TIMEOUT_MILLIS = 10_000;
    private static final Pattern LISTENING = Pattern.compile("listening for MQTT connections on 127\\.0\\.0\\.1:(\\d+)");
    /** MQTT 5.0 DISCONNECT reason code "Server shutting down". */
    private static final int SERVER_SHUTTING_DOWN = 0x8B;

    @TempDir
    Path directory;

    @Test
    void launcherServesMqttAndExitsZeroOnSigterm() throws Exception {
        Path config = writeConfig("listener.host = 127.0.0.1", "listener.port = 0");
        Launcher launcher = Launcher.start(directory, "--config", config.toString());
        List<MqttClient> clients = new ArrayList<>();
        org.eclipse.paho.mqttv5.client.MqttClient mqtt5Client = null;
        try {
            int port = launcher.awaitListeningPort();
            String serverUri = "tcp://127.0.0.1:" + port;

            MqttClient subscriber = connect(serverUri, "launcher-test-subscriber", clients);
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            subscriber.subscribe("room/#", 1,
                    (topic, message) -> received.add(topic + " " + new String(message.getPayload(), UTF_8)));
            MqttClient publisher = connect(serverUri, "launcher-test-publisher", clients);
            publisher.publish("room/kitchen/light", "on".getBytes(UTF_8), 1, false);

            assertEquals("room/kitchen/light on", received.poll(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS));

            CompletableFuture<Integer> disconnectReason = new CompletableFuture<>();
            mqtt5Client = connectMqtt5(serverUri, disconnectReason);

            launcher.process().destroy();

            assertTrue(launcher.process().waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS),
                    "launcher still running " + EXIT_TIMEOUT_SECONDS + " s after SIGTERM");
            assertEquals(0, launcher.process().exitValue(), launcher.describe());
            assertTrue(launcher.stdout().contains("Stopping on SIGTERM"), launcher.describe());
            assertEquals(SERVER_SHUTTING_DOWN,
                    disconnectReason.get(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS).intValue(),
                    "reason code of the DISCONNECT sent to the MQTT 5.0 client");
        } finally {
            launcher.process().destroyForcibly();
            for (MqttClient client : clients) {
                closeQuietly(client);
            }
            if (mqtt5Client != null) {
                mqtt5Client.close(true);
            }
        }
    }

    @Test
    void launcherExitsZeroOnSigint() throws Exception {
        Path config = writeConfig("listener.port = 0");
        Launcher launcher = Launcher.start(directory, "--config", config.toString());
        try {
            launcher.awaitListeningPort();

            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(launcher.process().pid())).start();

            assertTrue(kill.waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS), "kill -INT did not return");
            assertEquals(0, kill.exitValue(), "exit status of kill -INT");
            assertTrue(launcher.process().waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS),
                    "launcher still running " + EXIT_TIMEOUT_SECONDS + " s after SIGINT");
            assertEquals(0, launcher.process().exitValue(), launcher.describe());
            assertTrue(launcher.stdout().contains("Stopping on SIGINT"), launcher.describe());
        } finally {
            launcher.process().destroyForcibly();
        }
    }

    @Test
    void portInUseExitsOneWithOneLine() throws Exception {
        try (ServerSocket occupied = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = occupied.getLocalPort();
            Path config = writeConfig("listener.host = 127.0.0.1", "listener.port = " + port);
            Launcher launcher = Launcher.start(directory, "--config", config.toString());
            try {
                assertTrue(launcher.process().waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS),
                        "launcher still running " + EXIT_TIMEOUT_SECONDS + " s with its port in use");
                assertEquals(1, launcher.process().exitValue(), launcher.describe());

                List<String> errorLines = launcher.stderr().lines().filter(line -> !line.isBlank()).toList();
                assertEquals(1, errorLines.size(), launcher.describe());
                String line = errorLines.get(0);
                assertTrue(line.startsWith("petrel: cannot start: "), line);
                assertTrue(line.contains("127.0.0.1:" + port), line);
                assertTrue(line.contains("set listener.port in " + config + " or PETREL_LISTENER_PORT"), line);
            } finally {
                launcher.process().destroyForcibly();
            }
        }
    }

    @Test
    void launcherLoadsPluginsFromHome() throws Exception {
        Path home = Files.createDirectories(directory.resolve("home"));
        Path plugins = Files.createDirectories(home.resolve("plugins"));
        Path classes = PluginJars.compile(directory, "deny", Map.of("plugin.DenyAll", """
                package plugin;

                import io.petrel.api.hook.AuthorizationAction;
                import io.petrel.api.hook.AuthorizationDecision;
                import io.petrel.api.hook.Authorizer;
                import io.petrel.api.hook.ClientInfo;

                public final class DenyAll implements Authorizer {
                    @Override
                    public AuthorizationDecision authorize(ClientInfo client, AuthorizationAction action, String topic) {
                        return action == AuthorizationAction.SUBSCRIBE
                                ? AuthorizationDecision.DENY : AuthorizationDecision.ALLOW;
                    }
                }
                """));
        PluginJars.jar(plugins.resolve("deny.jar"), classes, Map.of(Authorizer.class.getName(), List.of("plugin.DenyAll")));
        Path config = writeConfig("listener.host = 127.0.0.1", "listener.port = 0");
        Launcher launcher = Launcher.start(directory, List.of("-D" + PetrelCommand.HOME_PROPERTY + "=" + home),
                "--config", config.toString());
        List<MqttClient> clients = new ArrayList<>();
        try {
            int port = launcher.awaitListeningPort();
            MqttClient subscriber = connect("tcp://127.0.0.1:" + port, "plugin-test-subscriber", clients);

            int[] granted = subscriber.subscribeWithResponse("room/#", 1).getGrantedQos();

            assertEquals(0x80, granted[0], "SUBACK return code from the plugin's authorizer");
        } finally {
            launcher.process().destroyForcibly();
            for (MqttClient client : clients) {
                closeQuietly(client);
            }
        }
    }

    private Path writeConfig(String... lines) throws IOException {
        Path file = directory.resolve("petrel.conf");
        Files.write(file, List.of(lines), UTF_8);
        return file;
    }

    private static MqttClient connect(String serverUri, String clientId, List<MqttClient> clients)
            throws MqttException {
        MqttClient client = new MqttClient(serverUri, clientId, new MemoryPersistence());
        clients.add(client);
        client.setTimeToWait(CLIENT_TIMEOUT_MILLIS);
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setConnectionTimeout(10);
        options.setAutomaticReconnect(false);
        client.connect(options);
        return client;
    }

    private static org.eclipse.paho.mqttv5.client.MqttClient connectMqtt5(
            String serverUri, CompletableFuture<Integer> disconnectReason)
            throws org.eclipse.paho.mqttv5.common.MqttException {
        org.eclipse.paho.mqttv5.client.MqttClient client = new org.eclipse.paho.mqttv5.client.MqttClient(
                serverUri, "launcher-test-mqtt5", new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
        client.setTimeToWait(CLIENT_TIMEOUT_MILLIS);
        client.setCallback(new DisconnectRecorder(disconnectReason));
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        options.setConnectionTimeout(10);
        options.setAutomaticReconnect(false);
        client.connect(options);
        return client;
    }

    private static void closeQuietly(MqttClient client) {
        try {
            if (client.isConnected()) {
                client.disconnectForcibly(1_000, 1_000);
            }
            client.close(true);
        } catch (MqttException e) {
            // The broker is gone by now; the client's sockets and threads are released either way.
        }
    }

    /** Completes a future with the reason code of the first DISCONNECT the server sends. */
    private static final class DisconnectRecorder implements MqttCallback {

        private final CompletableFuture<Integer> reason;

        DisconnectRecorder(CompletableFuture<Integer> reason) {
            this.reason = reason;
        }

        @Override
        public void disconnected(MqttDisconnectResponse response) {
            reason.complete(response.getReturnCode());
        }

        @Override
        public void mqttErrorOccurred(org.eclipse.paho.mqttv5.common.MqttException exception) {
            reason.completeExceptionally(exception);
        }

        @Override
        public void messageArrived(String topic, org.eclipse.paho.mqttv5.common.MqttMessage message) {
        }

        @Override
        public void deliveryComplete(IMqttToken token) {
        }

        @Override
        public void connectComplete(boolean reconnect, String serverUri) {
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
        }
    }

    /** A launcher child process whose standard output and error go to files. */
    private record Launcher(Process process, Path stdoutFile, Path stderrFile) {

        static Launcher start(Path directory, String... args) throws IOException {
            return start(directory, List.of(), args);
        }

        static Launcher start(Path directory, List<String> jvmOptions, String... args) throws IOException {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Path logbackConfig = Path.of("..", "conf", "logback.xml").toAbsolutePath().normalize();
            assertTrue(Files.isRegularFile(logbackConfig), "not found: " + logbackConfig);

            List<String> command = new ArrayList<>(List.of(
                    java.toString(),
                    "-Xmx256m",
                    // As bin/petrel does: without it, Java 24 and later print a warning on stderr.
                    "--enable-native-access=ALL-UNNAMED",
                    "-Dlogback.configurationFile=" + logbackConfig));
            command.addAll(jvmOptions);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), PetrelCommand.class.getName()));
            command.addAll(List.of(args));

            Path stdoutFile = directory.resolve("stdout.txt");
            Path stderrFile = directory.resolve("stderr.txt");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(stdoutFile.toFile())
                    .redirectError(stderrFile.toFile());
            // Overrides in the developer's environment would change what the test checks.
            builder.environment().keySet().removeIf(name -> name.startsWith("PETREL_"));
            return new Launcher(builder.start(), stdoutFile, stderrFile);
        }

        /** Waits for the start log line and returns the port it names. */
        int awaitListeningPort() throws IOException {
            await().atMost(START_TIMEOUT).until(() -> LISTENING.matcher(stdout()).find() || !process.isAlive());
            Matcher listening = LISTENING.matcher(stdout());
            if (!listening.find()) {
                fail("launcher exited before listening: " + describe());
            }
            return Integer.parseInt(listening.group(1));
        }

        String stdout() throws IOException {
            return Files.readString(stdoutFile, UTF_8);
        }

        String stderr() throws IOException {
            return Files.readString(stderrFile, UTF_8);
        }

        /** Returns the exit status and output, for assertion messages. */
        String describe() {
            try {
                String status = process.isAlive() ? "running" : "exit status " + process.exitValue();
                return status + "\n--- stdout ---\n" + stdout() + "--- stderr ---\n" + stderr();
            } catch (IOException e) {
                return "output not readable: " + e;
            }
        }
    }
}
