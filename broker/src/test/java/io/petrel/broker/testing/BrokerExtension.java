package io.petrel.broker.testing;

import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.PetrelBroker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts one broker on an ephemeral port of 127.0.0.1 before the tests of a class and closes it
 * after them. Register it on a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config.maxKeepAliveSeconds(30));
 * }</pre>
 *
 * <p>Tests that share the broker use {@link #clientId(String)} for fresh client identifiers and
 * compare meter values before and after their action.
 */
public final class BrokerExtension implements BeforeAllCallback, AfterAllCallback {

    private final UnaryOperator<BrokerConfig.Builder> customizer;
    private final AtomicInteger clientIds = new AtomicInteger();
    private SimpleMeterRegistry registry;
    private PetrelBroker broker;

    private BrokerExtension(UnaryOperator<BrokerConfig.Builder> customizer) {
        this.customizer = customizer;
    }

    /** Returns an extension that runs a broker with {@link #testConfig()}. */
    public static BrokerExtension create() {
        return new BrokerExtension(UnaryOperator.identity());
    }

    /** Returns an extension whose broker configuration is {@link #testConfig()} changed by {@code customizer}. */
    public static BrokerExtension withConfig(UnaryOperator<BrokerConfig.Builder> customizer) {
        return new BrokerExtension(customizer);
    }

    /**
     * Returns the configuration tests start from: an ephemeral port, a 5 s connect timeout, 4 KiB
     * packets, 10 queued messages per session and two threads each for network and handlers.
     *
     * <p>The connect timeout stays well above the 300 ms that Paho 1.2.5 takes between opening the
     * socket and sending CONNECT, because a loaded build machine can stretch that past 500 ms. Tests
     * of the timeout itself set a shorter one.
     */
    public static BrokerConfig.Builder testConfig() {
        return BrokerConfig.builder()
                .port(0)
                .connectTimeoutMillis(5_000)
                .maxPacketSizeBytes(4096)
                .maxQueuedMessages(10)
                .ioThreads(2)
                .handlerThreads(2);
    }

    /** Builds and starts a broker that reports its meters to {@code registry}. The caller closes it. */
    public static PetrelBroker startBroker(BrokerConfig config, SimpleMeterRegistry registry) {
        PetrelBroker broker = PetrelBroker.builder().config(config).meterRegistry(registry).build();
        broker.start();
        return broker;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        registry = new SimpleMeterRegistry();
        broker = startBroker(customizer.apply(testConfig()).build(), registry);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (broker != null) {
            broker.close();
        }
    }

    /** Returns the running broker. */
    public PetrelBroker broker() {
        return broker;
    }

    /** Returns the bound port on 127.0.0.1. */
    public int port() {
        return broker.port();
    }

    /** Returns {@code tcp://127.0.0.1:port} for Paho clients. */
    public String serverUri() {
        return "tcp://127.0.0.1:" + port();
    }

    /** Returns the registry the broker reports its meters to. */
    public SimpleMeterRegistry registry() {
        return registry;
    }

    /** Returns a client identifier unique within this broker, at most 23 characters long. */
    public String clientId(String prefix) {
        String suffix = "-" + clientIds.incrementAndGet();
        String start = prefix.length() + suffix.length() > 23 ? prefix.substring(0, 23 - suffix.length()) : prefix;
        return start + suffix;
    }

    /**
     * Checks that the broker still serves a new client: it connects, subscribes, publishes to its own
     * subscription and receives the message. Called after malformed input to show that one bad
     * connection did not harm the broker.
     */
    public void assertServesNewClient() {
        String clientId = clientId("healthy");
        String topic = "health/" + clientId;
        try (RawMqttClient client = RawMqttClient.connect(port(), ConnectPacket.mqtt311(clientId))) {
            client.send(MqttPackets.subscribe(MqttPackets.MQTT_3_1_1, 1, 0, topic));
            RawPacket suback = client.receive();
            if (suback.type() != MqttPackets.SUBACK || !suback.subackCodes(MqttPackets.MQTT_3_1_1).equals(List.of(0))) {
                throw new AssertionError("expected SUBACK granting QoS 0, got " + suback);
            }
            client.send(MqttPackets.publish(MqttPackets.MQTT_3_1_1, topic, "alive", 0, 0));
            RawPacket publish = client.receive();
            if (publish.type() != MqttPackets.PUBLISH || !publish.payload(MqttPackets.MQTT_3_1_1).equals("alive")) {
                throw new AssertionError("expected PUBLISH 'alive' on " + topic + ", got " + publish);
            }
        }
    }

    /** Waits up to 3 seconds for {@code meter} to rise above {@code before}. */
    public static void awaitIncrease(DoubleSupplier meter, double before) {
        await().atMost(Duration.ofSeconds(3)).until(() -> meter.getAsDouble() > before);
    }

    /** Returns the sum of all counters named {@code name} over their tags, or 0 if none is registered yet. */
    public double counterSum(String name) {
        return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }

    /** Returns the count of the counter {@code name} with tag {@code reason}, or 0 if it is not registered yet. */
    public double counter(String name, String reason) {
        return registry.find(name).tag("reason", reason).counters().stream().mapToDouble(Counter::count).sum();
    }

    /** Returns the sum of all {@code petrel.protocol.violations} counters. */
    public double violations() {
        return counterSum("petrel.protocol.violations");
    }

    /** Returns {@code petrel.protocol.violations} for one reason. */
    public double violations(String reason) {
        return counter("petrel.protocol.violations", reason);
    }

    /**
     * Returns the value of gauge {@code name}.
     *
     * @throws AssertionError if the broker registered no such gauge
     */
    public double gauge(String name) {
        Gauge gauge = registry.find(name).gauge();
        if (gauge == null) {
            throw new AssertionError("gauge " + name + " is not registered; meters: " + registry.getMetersAsString());
        }
        return gauge.value();
    }
}
