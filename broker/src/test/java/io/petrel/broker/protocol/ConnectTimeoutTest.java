package io.petrel.broker.protocol;

import static io.petrel.broker.testing.BrokerExtension.awaitIncrease;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The connect timeout as the per-loop {@link ConnectionSweep} enforces it, over real sockets: a
 * connection without a complete CONNECT is closed after the timeout, never before it and at most one
 * sweep period late, and a CONNECT completed shortly before the deadline keeps the connection open.
 *
 * <p>Each test takes its start time before it opens the socket. The broker's deadline counts from
 * the moment it accepted the connection, which is later, so the check that it closed no earlier than the timeout is exact.
 */
class ConnectTimeoutTest {

    private static final long CONNECT_TIMEOUT_MILLIS = 1_000;
    /** The latest close the sweep allows, with room for a loaded build machine. */
    private static final long LATEST_CLOSE_MILLIS = CONNECT_TIMEOUT_MILLIS + ConnectionSweep.SWEEP_PERIOD_MILLIS + 750;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(
            config -> config.connectTimeoutMillis((int) CONNECT_TIMEOUT_MILLIS));

    @Test
    void silentConnectionClosedAfterTimeout() {
        double before = BROKER.violations("connect_timeout");
        long start = System.nanoTime();

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            assertClosedWithinTimeoutWindow(client, start);
        }
        awaitIncrease(() -> BROKER.violations("connect_timeout"), before);
    }

    @Test
    void halfConnectClosedAfterTimeout() {
        double before = BROKER.violations("connect_timeout");
        byte[] connect = ConnectPacket.mqtt311(BROKER.clientId("half")).toBytes();
        long start = System.nanoTime();

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(Arrays.copyOf(connect, connect.length / 2));
            assertClosedWithinTimeoutWindow(client, start);
        }
        awaitIncrease(() -> BROKER.violations("connect_timeout"), before);
    }

    /**
     * Completes the CONNECT one sweep period before the deadline. With keepalive 0 the connection
     * leaves the sweep, and with keepalive 60 it stays there for its keepalive deadline.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 60})
    void connectJustBeforeDeadlineStaysOpen(int keepAliveSeconds) {
        double before = BROKER.violations("connect_timeout");
        ConnectPacket connectPacket = ConnectPacket.mqtt311(BROKER.clientId("late" + keepAliveSeconds))
                .keepAliveSeconds(keepAliveSeconds);
        byte[] connect = connectPacket.toBytes();
        int half = connect.length / 2;
        long start = System.nanoTime();

        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(Arrays.copyOf(connect, half));
            client.expectNothingUntil(start + millisToNanos(CONNECT_TIMEOUT_MILLIS - ConnectionSweep.SWEEP_PERIOD_MILLIS));
            client.send(Arrays.copyOfRange(connect, half, connect.length));
            RawPacket connack = client.receive();

            assertTrue(connack.isSuccessfulConnack(), "CONNACK: " + connack);
            // Two sweep periods past the deadline, a pending connect timeout would have closed it.
            client.expectNothingUntil(start + millisToNanos(CONNECT_TIMEOUT_MILLIS + 2 * ConnectionSweep.SWEEP_PERIOD_MILLIS));
            assertTrue(client.ping(), "no PINGRESP after the connect deadline");
        }
        assertEquals(before, BROKER.violations("connect_timeout"));
    }

    /** Asserts that the broker closes {@code client} without a packet, after the connect timeout but not much later. */
    private static void assertClosedWithinTimeoutWindow(RawMqttClient client, long startNanos) {
        List<RawPacket> packets = client.receiveUntilClosed(CLOSE_TIMEOUT);
        long openMillis = millisSince(startNanos);

        assertEquals(List.of(), packets);
        assertTrue(openMillis >= CONNECT_TIMEOUT_MILLIS,
                "closed after " + openMillis + " ms, before the " + CONNECT_TIMEOUT_MILLIS + " ms connect timeout");
        assertTrue(openMillis <= LATEST_CLOSE_MILLIS,
                "closed after " + openMillis + " ms, later than " + LATEST_CLOSE_MILLIS + " ms");
    }

    private static long millisSince(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
    }

    private static long millisToNanos(long millis) {
        return Duration.ofMillis(millis).toNanos();
    }
}
