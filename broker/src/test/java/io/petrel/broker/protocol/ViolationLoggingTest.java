package io.petrel.broker.protocol;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
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
 * with the client identifier it requested.
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

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(connect.toBytes());
            client.receiveUntilClosed(CLOSE_TIMEOUT);
        }

        ILoggingEvent line = awaitLineContaining(clientId);
        assertEquals(Level.WARN, line.getLevel());
        assertTrue(line.getFormattedMessage().contains("invalid will topic"), line.getFormattedMessage());
    }

    private ILoggingEvent awaitLineContaining(String text) {
        return await().atMost(Duration.ofSeconds(5)).until(
                () -> log.events().stream().filter(event -> event.getFormattedMessage().contains(text))
                        .findFirst().orElse(null),
                event -> event != null);
    }
}
