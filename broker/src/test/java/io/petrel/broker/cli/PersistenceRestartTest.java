package io.petrel.broker.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retained messages and messages queued for an offline persistent session across a crash of the real
 * launcher: every QoS 1 message whose PUBACK arrived is delivered exactly once by the next broker on
 * the same data directory, after the first was killed with SIGKILL. The journals roll to a new file
 * every second in these tests, so the messages span several files.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PersistenceRestartTest {

    private static final List<String> SECONDLY_ROLL = List.of("-Dpetrel.persistence.rollCycle=TEST_SECONDLY");
    private static final long EXIT_TIMEOUT_SECONDS = 30;
    private static final long DELIVERY_TIMEOUT_SECONDS = 10;
    private static final long CLIENT_TIMEOUT_MILLIS = 10_000;
    private static final int MIN_MESSAGES = 200;
    private static final int MAX_MESSAGES = 20_000;
    private static final String OFFLINE_CLIENT = "restart-offline";
    private static final String QUEUED_FILTER = "queued/#";
    private static final String QUEUED_MARKER = "queued/marker";

    @TempDir
    Path directory;

    @Test
    void acknowledgedMessagesSurviveSigkill() throws Exception {
        Path config = writeConfig("listener.host = 127.0.0.1", "listener.port = 0",
                "session.max_queued_messages = " + MAX_MESSAGES);
        Map<String, String> expected = new TreeMap<>();
        List<String> expectedQueued = new ArrayList<>();

        LauncherProcess first = LauncherProcess.start(directory, "first-", SECONDLY_ROLL, "--config", config.toString());
        try {
            String serverUri = "tcp://127.0.0.1:" + first.awaitListeningPort();
            MqttClient offline = connect(serverUri, OFFLINE_CLIENT, false);
            offline.subscribe(QUEUED_FILTER, 1);
            offline.disconnect();
            offline.close();
            MqttClient publisher = connect(serverUri, "restart-publisher");
            try {
                publishUntilJournalsRolled(publisher, expected, expectedQueued);
            } finally {
                closeQuietly(publisher);
            }
        } finally {
            first.process().destroyForcibly();
        }
        assertTrue(first.process().waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS), "first launcher still running");

        LauncherProcess second = LauncherProcess.start(directory, "second-", SECONDLY_ROLL, "--config",
                config.toString());
        try {
            String serverUri = "tcp://127.0.0.1:" + second.awaitListeningPort();
            List<String> receivedQueued = receiveQueued(serverUri);

            assertEquals(expectedQueued, receivedQueued, "messages queued for the offline session, in order");
            Map<String, List<String>> received = receiveRetained(serverUri);

            assertEquals(expected.keySet(), received.keySet(), "retained topics after the restart");
            for (Map.Entry<String, String> message : expected.entrySet()) {
                assertEquals(List.of(message.getValue()), received.get(message.getKey()),
                        "payloads of " + message.getKey());
            }
            assertTrue(second.stdout().contains("Keeping retained messages, persistent sessions and dead letters in "
                    + "the data directory " + directory.resolve("data").toRealPath()), second.describe());
        } finally {
            second.process().destroyForcibly();
            second.process().waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Test
    void secondBrokerOnSameDirectoryFails() throws Exception {
        Path config = writeConfig("listener.host = 127.0.0.1", "listener.port = 0");
        LauncherProcess first = LauncherProcess.start(directory, "first-", List.of(), "--config", config.toString());
        try {
            first.awaitListeningPort();

            LauncherProcess second = LauncherProcess.start(directory, "second-", List.of(), "--config",
                    config.toString());
            try {
                assertTrue(second.process().waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS),
                        "second launcher still running on a locked data directory");
                assertEquals(1, second.process().exitValue(), second.describe());
                String error = second.stderr();
                assertTrue(error.startsWith("petrel: cannot start: "), error);
                assertTrue(error.contains(directory.resolve("data").toRealPath().toString()), error);
                assertTrue(error.contains("in use by another broker"), error);
            } finally {
                second.process().destroyForcibly();
            }
        } finally {
            first.process().destroyForcibly();
            first.process().waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /**
     * Publishes retained QoS 1 messages and QoS 1 messages for the offline session, each waiting for
     * its PUBACK, until the retained and the session journals have at least two files each and
     * {@value #MIN_MESSAGES} messages of each kind went out. Every tenth retained topic is cleared
     * again with an empty retained message. Records what must survive in {@code expected} and
     * {@code expectedQueued}.
     */
    private void publishUntilJournalsRolled(MqttClient publisher, Map<String, String> expected,
                                            List<String> expectedQueued) throws MqttException, IOException {
        int sent = 0;
        while (sent < MIN_MESSAGES || journalFiles("retained") < 2 || journalFiles("sessions") < 2) {
            assertTrue(sent < MAX_MESSAGES, "the journals did not roll after " + MAX_MESSAGES + " messages");
            String topic = "restart/" + sent;
            String payload = "payload-" + sent;
            publisher.publish(topic, payload.getBytes(UTF_8), 1, true);
            expected.put(topic, payload);
            if (sent % 10 == 0) {
                publisher.publish(topic, new byte[0], 1, true);
                expected.remove(topic);
            }
            String queued = "queued-" + sent;
            publisher.publish("queued/" + sent, queued.getBytes(UTF_8), 1, false);
            expectedQueued.add(queued);
            sent++;
        }
    }

    private long journalFiles(String journal) throws IOException {
        Path journalDirectory = directory.resolve("data").resolve(journal);
        if (!Files.isDirectory(journalDirectory)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(journalDirectory)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".cq4")).count();
        }
    }

    /**
     * Resumes the offline session, publishes a marker for it and collects its messages until the
     * marker. The stored messages are queued before the marker, so every one of them arrived by then.
     */
    private static List<String> receiveQueued(String serverUri) throws Exception {
        BlockingQueue<String[]> arrivals = new LinkedBlockingQueue<>();
        MqttClient offline = new MqttClient(serverUri, OFFLINE_CLIENT, new MemoryPersistence());
        offline.setTimeToWait(CLIENT_TIMEOUT_MILLIS);
        offline.setCallback(new QueueingCallback(arrivals));
        MqttClient marker = connect(serverUri, "restart-queued-marker");
        try {
            offline.connect(options(false));
            marker.publish(QUEUED_MARKER, "end".getBytes(UTF_8), 1, false);

            List<String> received = new ArrayList<>();
            while (true) {
                String[] arrival = arrivals.poll(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                assertTrue(arrival != null, "no marker within " + DELIVERY_TIMEOUT_SECONDS + " s; received "
                        + received.size() + " queued messages");
                if (arrival[0].equals(QUEUED_MARKER)) {
                    return received;
                }
                received.add(arrival[1]);
            }
        } finally {
            closeQuietly(marker);
            closeQuietly(offline);
        }
    }

    /**
     * Subscribes to {@code #}, then publishes a non-retained marker message; the retained messages
     * arrive before the marker, so every one of them is collected by then.
     */
    private static Map<String, List<String>> receiveRetained(String serverUri) throws Exception {
        BlockingQueue<String[]> arrivals = new LinkedBlockingQueue<>();
        MqttClient subscriber = connect(serverUri, "restart-subscriber");
        MqttClient marker = connect(serverUri, "restart-marker");
        try {
            subscriber.subscribe("#", 1, (topic, message) ->
                    arrivals.add(new String[] {topic, new String(message.getPayload(), UTF_8)}));
            marker.publish("marker", "end".getBytes(UTF_8), 1, false);

            Map<String, List<String>> received = new TreeMap<>();
            while (true) {
                String[] arrival = arrivals.poll(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                assertTrue(arrival != null, "no marker within " + DELIVERY_TIMEOUT_SECONDS + " s; received "
                        + received.size() + " topics");
                if (arrival[0].equals("marker")) {
                    return received;
                }
                received.computeIfAbsent(arrival[0], topic -> new ArrayList<>()).add(arrival[1]);
            }
        } finally {
            closeQuietly(marker);
            closeQuietly(subscriber);
        }
    }

    private Path writeConfig(String... lines) throws IOException {
        Path file = directory.resolve("petrel.conf");
        Files.write(file, List.of(lines), UTF_8);
        return file;
    }

    private static MqttClient connect(String serverUri, String clientId) throws MqttException {
        return connect(serverUri, clientId, true);
    }

    private static MqttClient connect(String serverUri, String clientId, boolean cleanSession) throws MqttException {
        MqttClient client = new MqttClient(serverUri, clientId, new MemoryPersistence());
        client.setTimeToWait(CLIENT_TIMEOUT_MILLIS);
        client.connect(options(cleanSession));
        return client;
    }

    private static MqttConnectOptions options(boolean cleanSession) {
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(cleanSession);
        options.setConnectionTimeout(10);
        options.setAutomaticReconnect(false);
        options.setMaxInflight(1_000);
        return options;
    }

    /** Adds each arriving message to a queue as its topic and payload. */
    private record QueueingCallback(BlockingQueue<String[]> arrivals) implements MqttCallback {

        @Override
        public void connectionLost(Throwable cause) {
            // The test notices a lost connection when the marker does not arrive.
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            arrivals.add(new String[] {topic, new String(message.getPayload(), UTF_8)});
        }

        @Override
        public void deliveryComplete(IMqttDeliveryToken token) {
        }
    }

    private static void closeQuietly(MqttClient client) {
        try {
            if (client.isConnected()) {
                client.disconnectForcibly(1_000, 1_000);
            }
            client.close(true);
        } catch (MqttException e) {
            // The broker may be gone; the client's sockets and threads are released either way.
        }
    }
}
