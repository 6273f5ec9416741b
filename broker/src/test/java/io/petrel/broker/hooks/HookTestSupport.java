package io.petrel.broker.hooks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;

import java.util.function.UnaryOperator;

/** Starts brokers with hooks for the tests of this package, and reads their meters. */
final class HookTestSupport {

    private HookTestSupport() {
    }

    /**
     * Builds and starts a broker with the test configuration of {@link BrokerExtension#testConfig()}, a
     * 2 s hook timeout, and the hooks that {@code hooks} installs. The caller closes it.
     */
    static PetrelBroker start(SimpleMeterRegistry registry, UnaryOperator<BrokerConfig.Builder> config,
                              UnaryOperator<PetrelBroker.Builder> hooks) {
        BrokerConfig built = config.apply(BrokerExtension.testConfig().hookTimeoutMillis(2_000)).build();
        PetrelBroker broker = hooks.apply(PetrelBroker.builder().config(built).meterRegistry(registry)).build();
        broker.start();
        return broker;
    }

    /** Starts a broker with the default test configuration and the given hooks. */
    static PetrelBroker start(SimpleMeterRegistry registry, UnaryOperator<PetrelBroker.Builder> hooks) {
        return start(registry, UnaryOperator.identity(), hooks);
    }

    /** Connects a raw client with protocol level 4 (MQTT 3.1.1) or 5 and checks that CONNACK accepts it. */
    static RawMqttClient connect(PetrelBroker broker, int level, String clientId) {
        return RawMqttClient.connect(broker.port(), connectPacket(level, clientId));
    }

    /** Returns a CONNECT of protocol level 4 or 5. */
    static ConnectPacket connectPacket(int level, String clientId) {
        return level == MqttPackets.MQTT_5 ? ConnectPacket.mqtt5(clientId) : ConnectPacket.mqtt311(clientId);
    }

    /** Returns the sum of the counters named {@code name} with tag {@code key}={@code value}. */
    static double counter(SimpleMeterRegistry registry, String name, String key, String value) {
        return registry.find(name).tag(key, value).counters().stream().mapToDouble(Counter::count).sum();
    }
}
