package io.petrel.broker.protocol;

import io.micrometer.core.instrument.Counter;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A client that publishes faster than {@code mqtt.max_publish_rate} is disconnected. */
class PublishQuotaTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config.maxPublishRate(5));

    @Test
    void burstOverRateDisconnectsWith0x97() {
        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(),
                Mqtt5Packets.connect(BROKER.clientId("flood")))) {
            // One write: the broker may close the connection before separate writes would all be sent.
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int i = 0; i < 20; i++) {
                burst.writeBytes(Mqtt5Packets.publish("flood/" + i, "x", 0, 0, false, Mqtt5Properties.none()));
            }
            client.send(burst.toByteArray());

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x97, disconnect.reasonCode());
        }
        Counter counter = BROKER.registry().find("petrel.protocol.violations").tag("reason", "quota_exceeded").counter();
        assertNotNull(counter, "counter petrel.protocol.violations{reason=quota_exceeded}");
        assertTrue(counter.count() >= 1, "violation counted");
    }

    @Test
    void publishesWithinRateAccepted() {
        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(),
                Mqtt5Packets.connect(BROKER.clientId("calm")))) {
            for (int i = 0; i < 5; i++) {
                client.send(Mqtt5Packets.publish("calm/" + i, "x", 0, 0, false, Mqtt5Properties.none()));
            }

            assertTrue(client.ping(), "the connection is still served");
        }
    }
}
