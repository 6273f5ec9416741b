package io.petrel.broker.protocol;

import static io.petrel.broker.testing.MqttPackets.MQTT_3_1_1;
import static io.petrel.broker.testing.MqttPackets.PUBACK;
import static io.petrel.broker.testing.MqttPackets.PUBLISH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.Subscription;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Retained messages seen from the network: set, replace and clear, the retain flag on delivery,
 * wildcard filters, and the exchange between in-process and network publishers and subscribers.
 * Each test uses topics under {@code retained/<test>/} because retained messages outlive a test.
 */
class RetainedFlowTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    @Test
    void retainedMessageDeliveredOnSubscribe() {
        String topic = "retained/set/t";
        publishRetained(topic, "kept");

        try (RawMqttClient subscriber = client("setsub")) {
            subscriber.subscribe(MQTT_3_1_1, 0, topic);
            RawPacket delivered = subscriber.receive(PUBLISH);

            assertEquals(topic, delivered.topic());
            assertEquals("kept", delivered.payload(MQTT_3_1_1));
            assertTrue(delivered.retain(), "retain flag on a stored message sent for a new subscription");
        }
    }

    @Test
    void retainedMessageReplacedByNewer() {
        String topic = "retained/replace/t";
        publishRetained(topic, "first");
        publishRetained(topic, "second");

        List<String> payloads = subscribeAndCollectUntilMarker(topic, "retained/replace/marker");

        assertEquals(List.of("second", "marker"), payloads);
    }

    @Test
    void emptyRetainedPayloadClearsTopic() {
        String topic = "retained/clear/t";
        publishRetained(topic, "doomed");
        publishRetained(topic, "");

        List<String> payloads = subscribeAndCollectUntilMarker(topic, "retained/clear/marker");

        assertEquals(List.of("marker"), payloads);
    }

    @Test
    void liveForwardingClearsRetainFlag() {
        String topic = "retained/live/t";
        try (RawMqttClient subscriber = client("livesub")) {
            subscriber.subscribe(MQTT_3_1_1, 0, topic);
            publishRetained(topic, "live");

            RawPacket delivered = subscriber.receive(PUBLISH);

            assertEquals("live", delivered.payload(MQTT_3_1_1));
            assertFalse(delivered.retain(), "MQTT 3.1.1 clears the retain flag on messages to existing subscriptions");
        }
    }

    @Test
    void wildcardFiltersFindRetainedMessages() {
        publishRetained("wa/b/c", "wa/b/c");
        publishRetained("wx/b", "wx/b");
        publishRetained("wa/c", "wa/c");
        publishRetained("wa/b/c/d", "wa/b/c/d");

        assertEquals(Set.of("wa/b/c", "wx/b", "wa/b/c/d"), retainedTopicsFor("+/b/#", 3));
        assertEquals(Set.of("wa/b/c", "wa/c", "wa/b/c/d"), retainedTopicsFor("wa/#", 3));
        assertEquals(Set.of("wa/b/c"), retainedTopicsFor("+/+/c", 1));
    }

    @Test
    void inProcessRetainedReachesNetwork() throws Exception {
        String topic = "retained/inprocess/t";
        BROKER.broker().publish(Message.builder(topic).payload("from-java").qos(Qos.AT_LEAST_ONCE).retain(true).build())
                .toCompletableFuture().get(5, TimeUnit.SECONDS);

        try (RawMqttClient subscriber = client("javasub")) {
            subscriber.subscribe(MQTT_3_1_1, 1, topic);
            RawPacket delivered = subscriber.receive(PUBLISH);

            assertEquals("from-java", delivered.payload(MQTT_3_1_1));
            assertTrue(delivered.retain());
            assertEquals(1, delivered.qos());
        }
    }

    @Test
    void networkRetainedReachesInProcess() throws Exception {
        String topic = "retained/network/t";
        publishRetained(topic, "from-network");
        BlockingQueue<Message> received = new LinkedBlockingQueue<>();

        try (Subscription subscription = BROKER.broker().subscribe(topic, received::add)) {
            Message message = received.poll(5, TimeUnit.SECONDS);

            assertNotNull(message, "no retained message for the in-process subscription");
            assertEquals("from-network", message.payloadAsString());
            assertTrue(message.retain(), "retain flag on a stored message sent for a new subscription");
            assertEquals(Qos.AT_LEAST_ONCE, message.qos());
        }
    }

    /** Publishes a retained QoS 1 message over MQTT 3.1.1 and waits for the PUBACK. */
    private static void publishRetained(String topic, String payload) {
        try (RawMqttClient publisher = client("retainpub")) {
            publisher.send(MqttPackets.publish(MQTT_3_1_1, topic, payload, 1, 1, false, true));
            assertEquals(PUBACK, publisher.receive().type());
        }
    }

    private static RawMqttClient client(String name) {
        return RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId(name)));
    }

    /**
     * Subscribes to {@code topic} and a marker topic, publishes "marker" to the marker topic, and
     * returns the payloads received up to and including the marker.
     */
    private static List<String> subscribeAndCollectUntilMarker(String topic, String markerTopic) {
        try (RawMqttClient subscriber = client("collector");
             RawMqttClient publisher = client("marker")) {
            subscriber.subscribe(MQTT_3_1_1, 0, topic, markerTopic);
            publisher.send(MqttPackets.publish(MQTT_3_1_1, markerTopic, "marker", 1, 1));
            assertEquals(PUBACK, publisher.receive().type());

            List<String> payloads = new ArrayList<>();
            String payload;
            do {
                payload = subscriber.receive(PUBLISH).payload(MQTT_3_1_1);
                payloads.add(payload);
            } while (!payload.equals("marker"));
            return payloads;
        }
    }

    /** Subscribes to {@code filter} and returns the topics of the first {@code expected} retained messages. */
    private static Set<String> retainedTopicsFor(String filter, int expected) {
        try (RawMqttClient subscriber = client("wildsub")) {
            subscriber.subscribe(MQTT_3_1_1, 0, filter);
            Set<String> topics = new TreeSet<>();
            for (int i = 0; i < expected; i++) {
                RawPacket delivered = subscriber.receive(PUBLISH);
                assertTrue(delivered.retain(), "retain flag: " + delivered);
                topics.add(delivered.topic());
            }
            assertTrue(subscriber.ping(), "more retained messages than expected for " + filter + ": " + topics);
            return topics;
        }
    }
}
