package io.petrel.broker.protocol;

import static io.petrel.broker.testing.BrokerExtension.awaitIncrease;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Keepalive enforcement at 1.5 times the client's value, and the configured maximum keepalive:
 * MQTT 3.1.1 clients above it are rejected, and MQTT 5.0 clients get the maximum in the CONNACK.
 */
class KeepAliveTest {

    private static final int MAX_KEEPALIVE_SECONDS = 30;
    /** More than the two event loops of the test broker. */
    private static final int LEAVING_CLIENTS = 4;

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config.maxKeepAliveSeconds(MAX_KEEPALIVE_SECONDS));

    @Test
    void idleClientClosedAfterKeepalive() {
        double before = BROKER.violations("keepalive_timeout");
        ConnectPacket connect = ConnectPacket.mqtt311(BROKER.clientId("idle")).keepAliveSeconds(1);

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), connect)) {
            long start = System.nanoTime();
            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));
            Duration open = Duration.ofNanos(System.nanoTime() - start);

            assertEquals(List.of(), packets);
            assertTrue(open.toMillis() >= 1000, "closed after " + open + ", before the 1 s keepalive ran out");
        }
        awaitIncrease(() -> BROKER.violations("keepalive_timeout"), before);
    }

    @Test
    void idleClientClosedAfterEarlierClientLeaves() {
        // Connections are spread over the event loops in turn. With more leaving clients than loops,
        // one of them shares the idle client's loop and connected before it.
        List<RawMqttClient> leaving = new ArrayList<>();
        for (int i = 0; i < LEAVING_CLIENTS; i++) {
            ConnectPacket connect = ConnectPacket.mqtt311(BROKER.clientId("leaving" + i)).keepAliveSeconds(1);
            leaving.add(RawMqttClient.connect(BROKER.port(), connect));
        }
        ConnectPacket idleConnect = ConnectPacket.mqtt311(BROKER.clientId("idle-after")).keepAliveSeconds(1);

        try (RawMqttClient idle = RawMqttClient.connect(BROKER.port(), idleConnect)) {
            // A closed connection leaves the keepalive sweep of its loop, which moves the loop's last
            // entry into the freed slot. That entry is the idle client's, and the sweep must still find it.
            leaving.forEach(RawMqttClient::close);
            List<RawPacket> packets = idle.receiveUntilClosed(Duration.ofSeconds(5));

            assertEquals(List.of(), packets);
        }
    }

    @Test
    void pingingClientStaysConnected() {
        ConnectPacket connect = ConnectPacket.mqtt311(BROKER.clientId("pinging")).keepAliveSeconds(1);

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), connect)) {
            // Each poll sends PINGREQ and needs PINGRESP; the condition must hold for 3 s, three keepalives.
            await().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(500))
                    .during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(5))
                    .until(client::ping);
        }
    }

    @Test
    void keepaliveAtMaximumAccepted() {
        ConnectPacket connect = ConnectPacket.mqtt311(BROKER.clientId("atmax")).keepAliveSeconds(MAX_KEEPALIVE_SECONDS);

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), connect)) {
            assertTrue(client.ping());
        }
    }

    @Test
    void keepaliveAboveMaximumRejectedIn311() {
        ConnectPacket connect = ConnectPacket.mqtt311(BROKER.clientId("abovemax")).keepAliveSeconds(MAX_KEEPALIVE_SECONDS * 2);

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(connect.toBytes());
            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(3));

            assertEquals(1, packets.size(), "one CONNACK, then close: " + packets);
            assertEquals(MqttPackets.CONNACK, packets.get(0).type());
            assertEquals(0x02, packets.get(0).connackCode(), "identifier rejected");
        }
    }

    @Test
    void keepaliveAboveMaximumIn5Capped() {
        ConnectPacket connect = ConnectPacket.mqtt5(BROKER.clientId("abovemax5")).keepAliveSeconds(MAX_KEEPALIVE_SECONDS * 2);

        try (RawMqttClient client = RawMqttClient.connect(BROKER.port(), connect)) {
            List<Object> serverKeepAlive = client.connack().connackProperties().get(0x13);

            assertNotNull(serverKeepAlive, "CONNACK lacks Server Keep Alive (0x13): " + client.connack());
            assertEquals((long) MAX_KEEPALIVE_SECONDS, serverKeepAlive.get(0));
            assertTrue(client.ping());
        }
    }

    @Test
    void hiveMqClientAdoptsServerKeepAlive() {
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId("hivekeep"))
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();

        Mqtt5ConnAck connack = client.connectWith().keepAlive(MAX_KEEPALIVE_SECONDS * 2).send();
        client.disconnect();

        assertEquals(OptionalInt.of(MAX_KEEPALIVE_SECONDS), connack.getServerKeepAlive());
    }
}
