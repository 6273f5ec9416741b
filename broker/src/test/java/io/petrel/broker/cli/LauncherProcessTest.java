package io.petrel.broker.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.petrel.api.hook.Authorizer;
import io.petrel.broker.testing.PluginJars;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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

    private static final long EXIT_TIMEOUT_SECONDS = 30;
    private static final long DELIVERY_TIMEOUT_SECONDS = 10;
    /** Bound on each blocking Paho call; without it, connect waits for CONNACK forever. */
    private static final long CLIENT_TIMEOUT_MILLIS = 10_000;
    /** MQTT 5.0 DISCONNECT reason code "Server shutting down". */
    private static final int SERVER_SHUTTING_DOWN = 0x8B;
    /** The signal number of SIGINT on Linux. */
    private static final int SIGINT = 2;

    @TempDir
    Path directory;

    @Test
    void launcherServesMqttAndExitsZeroOnSigterm() throws Exception {
        Path config = writeConfig("listener.host = 127.0.0.1", "listener.port = 0");
        LauncherProcess launcher = LauncherProcess.start(directory, "--config", config.toString());
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
        assumeFalse(sigintIgnored(), "this process ignores SIGINT, as a background job of a non-interactive shell"
                + " does, and the launcher would inherit that; run the tests in the foreground to include this one");
        Path config = writeConfig("listener.port = 0");
        LauncherProcess launcher = LauncherProcess.start(directory, "--config", config.toString());
        try {
            launcher.awaitListeningPort();

            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(launcher.process().pid())).start();

            assertTrue(kill.waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS), "kill -INT did not return");
            assertEquals(0, kill.exitValue(), "exit status of kill -INT");
            assertTrue(launcher.process().waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS),
                    "launcher still running " + EXIT_TIMEOUT_SECONDS + " s after SIGINT; " + launcher.describe());
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
            LauncherProcess launcher = LauncherProcess.start(directory, "--config", config.toString());
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
        LauncherProcess launcher = LauncherProcess.start(directory, "",
                List.of("-D" + PetrelCommand.HOME_PROPERTY + "=" + home), "--config", config.toString());
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

    /**
     * Returns true when this process ignores SIGINT (Linux only, from /proc/self/status). A child
     * process inherits that, and the launcher's JVM then does not stop on SIGINT.
     */
    private static boolean sigintIgnored() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return false;
        }
        for (String line : Files.readAllLines(status, UTF_8)) {
            if (line.startsWith("SigIgn:")) {
                long ignored = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
                return (ignored & (1L << (SIGINT - 1))) != 0;
            }
        }
        return false;
    }
}
