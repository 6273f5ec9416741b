package io.petrel.broker.session;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A burst of messages that arrives in one read and is routed in one event-loop iteration, to a
 * connected subscriber on the same event loop whose queue bound is far smaller than the burst.
 */
class BurstDeliveryTest {

    private static final int MAX_QUEUED = 10;
    private static final int BURST = 1_000;
    private static final int PUBLISH = 3;

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config
            .ioThreads(1)
            .maxQueuedMessages(MAX_QUEUED));

    @Test
    void qos0BurstReachesConnectedSubscriber() {
        String topic = "burst/" + BROKER.clientId("topic");
        try (RawMqttClient subscriber = RawMqttClient.connect(BROKER.port(),
                     ConnectPacket.mqtt311(BROKER.clientId("sub")));
             RawMqttClient publisher = RawMqttClient.connect(BROKER.port(),
                     ConnectPacket.mqtt311(BROKER.clientId("pub")))) {
            subscriber.subscribe(MQTT_3_1_1, 0, topic);
            double dropsBefore = BROKER.counterSum("petrel.messages.dropped");

            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int i = 0; i < BURST; i++) {
                burst.writeBytes(MqttPackets.publish(MQTT_3_1_1, topic, Integer.toString(i), 0, 0));
            }
            publisher.send(burst.toByteArray());

            int publishes = 0;
            for (int i = 0; i < BURST; i++) {
                RawPacket packet = subscriber.receive();
                if (packet.type() == PUBLISH) {
                    publishes++;
                }
            }
            assertEquals(BURST, publishes, "messages received");
            assertEquals(dropsBefore, BROKER.counterSum("petrel.messages.dropped"), "dropped messages");
        }
    }
}
