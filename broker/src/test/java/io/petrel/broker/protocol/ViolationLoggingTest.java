package io.petrel.broker.protocol;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.LogCapture;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The log lines an operator sees at the default level when a client breaks the protocol. A closed
 * connection gets an INFO line with the client and the reason. A rejected CONNECT gets a WARN line
 * with the client identifier it requested. Each kind of line has a limiter of its own, and the
 * lines a limiter held back are counted when the broker stops.
 */
class ViolationLoggingTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

    @RegisterExtension
    final LogCapture log = LogCapture.of(MqttConnectionHandler.class, Level.INFO);

    @Test
    void protocolViolationLogsClientAndReason() {
        String clientId = BROKER.clientId("violator");
        byte[] publish = MqttPackets.publish(MQTT_3_1_1, "log/qos3", "x", 1, 7);
        publish[0] = (byte) (publish[0] | 0b0110); // QoS 3 is malformed [MQTT-3.3.1-4]

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(clientId))) {
            client.send(publish);
            assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
        }

        ILoggingEvent line = awaitLineContaining(clientId);
        assertEquals(Level.INFO, line.getLevel());
        assertTrue(line.getFormattedMessage().contains("malformed_packet"), line.getFormattedMessage());
    }

    @Test
    void rejectedConnectLogsRequestedClientId() {
        String clientId = BROKER.clientId("bad-will");
        ConnectPacket connect = ConnectPacket.mqtt311(clientId).will("will/+", "gone", 0, false);

        sendRejectedConnect(BROKER.port(), connect);

        ILoggingEvent line = awaitLineContaining(clientId);
        assertEquals(Level.WARN, line.getLevel());
        assertTrue(line.getFormattedMessage().contains("invalid will topic"), line.getFormattedMessage());
    }

    @Test
    void undecodableConnectNamesItsClient() {
        String clientId = BROKER.clientId("bad-will-bytes");
        ConnectPacket connect = ConnectPacket.mqtt311(clientId).will("will/\u0000", "gone", 0, false);

        sendRejectedConnect(BROKER.port(), connect);

        ILoggingEvent line = awaitLineContaining(clientId);
        assertEquals(Level.WARN, line.getLevel());
        assertTrue(line.getFormattedMessage().contains("malformed_packet"), line.getFormattedMessage());
    }

    @Test
    void closedLineFollowsSameKindRejection() {
        // A broker of its own, so that the limiters of these kinds of line have logged nothing yet.
        PetrelBroker broker = BrokerExtension.startBroker(BrokerExtension.testConfig().build(),
                new SimpleMeterRegistry());
        ConnectPacket connect = ConnectPacket.mqtt311("bad-will-first").will("will/#", "gone", 0, false);
        byte[] publish = MqttPackets.publish(MQTT_3_1_1, "log/+", "x", 0, 0);
        try {
            sendRejectedConnect(broker.port(), connect);
            try (RawMqttClient client = RawMqttClient.connect(broker.port(),
                    ConnectPacket.mqtt311("wildcard-publisher"))) {
                client.send(publish);
                assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
            }
        } finally {
            broker.close();
        }

        ILoggingEvent line = awaitLineContaining("wildcard-publisher");
        assertEquals(Level.INFO, line.getLevel());
        assertTrue(line.getFormattedMessage().contains("invalid_topic"), line.getFormattedMessage());
        assertFalse(line.getFormattedMessage().contains("suppressed"), line.getFormattedMessage());
    }

    @Test
    void stoppingBrokerLogsHeldBackCount() {
        PetrelBroker broker = BrokerExtension.startBroker(BrokerExtension.testConfig().build(),
                new SimpleMeterRegistry());
        try {
            for (int i = 0; i < 3; i++) {
                ConnectPacket connect = ConnectPacket.mqtt311("bad-will-" + i).will("will/+", "gone", 0, false);
                sendRejectedConnect(broker.port(), connect);
            }
        } finally {
            broker.close();
        }

        List<String> lines = log.events().stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(1, lines.stream().filter(line -> line.contains("bad-will-")).count(), lines.toString());
        ILoggingEvent last = log.events().get(log.events().size() - 1);
        assertEquals("2 lines about CONNECTs rejected for invalid_topic held back after the last one logged",
                last.getFormattedMessage());
        assertEquals(Level.WARN, last.getLevel());
    }

    @Test
    void clientTextEscapedOnce() {
        // A broker of its own, so that the limiter of this kind of line has logged nothing yet.
        PetrelBroker broker = BrokerExtension.startBroker(BrokerExtension.testConfig().build(),
                new SimpleMeterRegistry());
        byte[] publish = MqttPackets.publish(MQTT_3_1_1, "log/+\nFAKE WARN line", "x", 0, 0);
        try (RawMqttClient client = RawMqttClient.connect(broker.port(), ConnectPacket.mqtt311("forger\\x\n"))) {
            client.send(publish);
            assertEquals(List.of(), client.receiveUntilClosed(CLOSE_TIMEOUT));
        } finally {
            broker.close();
        }

        String line = awaitLineContaining("forger").getFormattedMessage();
        assertTrue(line.contains("client forger\\\\x\\n from "), line);
        assertTrue(line.contains("log/+\\nFAKE WARN line"), line);
        assertFalse(line.contains("\n"), line);
    }

    /** Sends a CONNECT that the broker rejects and waits until it closes the connection. */
    private static void sendRejectedConnect(int port, ConnectPacket connect) {
        try (RawMqttClient client = RawMqttClient.open(port)) {
            client.send(connect.toBytes());
            client.receiveUntilClosed(CLOSE_TIMEOUT);
        }
    }

    private ILoggingEvent awaitLineContaining(String text) {
        return await().atMost(Duration.ofSeconds(5)).until(
                () -> log.events().stream().filter(event -> event.getFormattedMessage().contains(text))
                        .findFirst().orElse(null),
                event -> event != null);
    }
}
