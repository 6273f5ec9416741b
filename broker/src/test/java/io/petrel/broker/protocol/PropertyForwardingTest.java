package io.petrel.broker.protocol;

import static io.petrel.broker.testing.Mqtt5Properties.CONTENT_TYPE;
import static io.petrel.broker.testing.Mqtt5Properties.CORRELATION_DATA;
import static io.petrel.broker.testing.Mqtt5Properties.MESSAGE_EXPIRY_INTERVAL;
import static io.petrel.broker.testing.Mqtt5Properties.PAYLOAD_FORMAT_INDICATOR;
import static io.petrel.broker.testing.Mqtt5Properties.RESPONSE_TOPIC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperty;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.petrel.api.Message;
import io.petrel.api.UserProperty;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.PahoRecorder;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.ReceivedProperties;
import io.petrel.broker.testing.TestClients;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The MQTT 5.0 message properties that the broker forwards unchanged (MQTT 5.0 section 3.3.2.3):
 * user properties in order and with repeated names, content type, payload format indicator,
 * response topic and correlation data. Publishers and subscribers are raw clients, Paho, HiveMQ and
 * in-process subscriptions.
 */
class PropertyForwardingTest {

    private static final byte[] CORRELATION = {0, 1, (byte) 0xFE, (byte) 0xFF, 42};

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    @Test
    void rawPropertiesForwardedUnchanged() {
        String topic = "props/raw/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = subscriber(topic);
             RawMqttClient publisher = client("raw-pub")) {
            publisher.send(Mqtt5Packets.publish(topic, "body", 1, 1, false, Mqtt5Properties.create()
                    .userProperty("k", "1")
                    .payloadFormatIndicator(1)
                    .userProperty("k", "2")
                    .contentType("application/json; charset=utf-8")
                    .userProperty("a", "x")
                    .responseTopic("reply/here")
                    .userProperty("k", "1")
                    .correlationData(CORRELATION)
                    .userProperty("", "")));

            RawPacket delivered = subscriber.receive(MqttPackets.PUBLISH);

            ReceivedProperties properties = ReceivedProperties.ofPublish(delivered);
            assertEquals(List.of("k=1", "k=2", "a=x", "k=1", "="), properties.userProperties());
            assertEquals("application/json; charset=utf-8", properties.string(CONTENT_TYPE));
            assertEquals(1, properties.integer(PAYLOAD_FORMAT_INDICATOR));
            assertEquals("reply/here", properties.string(RESPONSE_TOPIC));
            assertArrayEquals(CORRELATION, properties.binary(CORRELATION_DATA));
            assertEquals("body", new String(ReceivedProperties.publishPayload(delivered), StandardCharsets.UTF_8));
        }
    }

    @Test
    void messageWithoutPropertiesForwardedWithout() {
        String topic = "props/none/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = subscriber(topic);
             RawMqttClient publisher = client("none-pub")) {
            publisher.send(Mqtt5Packets.publish(topic, "plain", 0, 0, false, Mqtt5Properties.none()));

            RawPacket delivered = subscriber.receive(MqttPackets.PUBLISH);

            assertTrue(ReceivedProperties.ofPublish(delivered).all().isEmpty(),
                    "properties: " + ReceivedProperties.ofPublish(delivered));
        }
    }

    @Test
    void mqtt311SubscriberGetsPayloadOnly() {
        String topic = "props/v3/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = RawMqttClient.connect(BROKER.port(),
                ConnectPacket.mqtt311(BROKER.clientId("v3")));
             RawMqttClient publisher = client("v3-pub")) {
            subscriber.subscribe(MqttPackets.MQTT_3_1_1, 0, topic);
            publisher.send(Mqtt5Packets.publish(topic, "text", 0, 0, false, Mqtt5Properties.create()
                    .userProperty("k", "v").contentType("text/plain").correlationData(CORRELATION)));

            RawPacket delivered = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals(topic, delivered.topic());
            assertEquals("text", delivered.payload(MqttPackets.MQTT_3_1_1));
        }
    }

    @Test
    void pahoToHiveMqPropertiesForwarded() throws Exception {
        String topic = "props/paho/" + BROKER.clientId("t");
        Mqtt5BlockingClient subscriber = hiveMqClient("hive-sub");
        org.eclipse.paho.mqttv5.client.MqttClient publisher = pahoClient("paho-pub");
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            publisher.connect(new MqttConnectionOptions());
            subscriber.connect();
            subscriber.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            MqttProperties properties = new MqttProperties();
            properties.setUserProperties(List.of(
                    new org.eclipse.paho.mqttv5.common.packet.UserProperty("b", "1"),
                    new org.eclipse.paho.mqttv5.common.packet.UserProperty("a", "2"),
                    new org.eclipse.paho.mqttv5.common.packet.UserProperty("b", "3")));
            properties.setContentType("text/csv");
            properties.setPayloadFormat(true);
            properties.setResponseTopic("reply/paho");
            properties.setCorrelationData(CORRELATION);
            MqttMessage message = new MqttMessage("a,b".getBytes(StandardCharsets.UTF_8));
            message.setQos(1);
            message.setProperties(properties);
            publisher.publish(topic, message);

            Optional<Mqtt5Publish> received = publishes.receive(5, TimeUnit.SECONDS);

            assertTrue(received.isPresent(), "no message within 5 s");
            Mqtt5Publish publish = received.get();
            assertEquals(List.of("b=1", "a=2", "b=3"), pairs(publish.getUserProperties().asList()));
            assertEquals("text/csv", publish.getContentType().map(Object::toString).orElse(null));
            assertEquals(Optional.of(Mqtt5PayloadFormatIndicator.UTF_8), publish.getPayloadFormatIndicator());
            assertEquals("reply/paho", publish.getResponseTopic().map(Object::toString).orElse(null));
            assertArrayEquals(CORRELATION, bytes(publish.getCorrelationData().orElse(null)));
        } finally {
            TestClients.disconnect(publisher);
            TestClients.disconnect(subscriber);
        }
    }

    @Test
    void hiveMqToPahoPropertiesForwarded() throws Exception {
        String topic = "props/hive/" + BROKER.clientId("t");
        PahoRecorder recorder = new PahoRecorder();
        org.eclipse.paho.mqttv5.client.MqttClient subscriber = pahoClient("paho-sub");
        Mqtt5BlockingClient publisher = hiveMqClient("hive-pub");
        try {
            subscriber.setCallback(recorder);
            subscriber.connect(new MqttConnectionOptions());
            subscriber.subscribe(topic, 1);
            publisher.connect();
            publisher.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE)
                    .payload("<a/>".getBytes(StandardCharsets.UTF_8))
                    .contentType("application/xml")
                    .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
                    .responseTopic("reply/hive")
                    .correlationData(CORRELATION)
                    .userProperties().add("z", "1").add("z", "1").add("y", "2").applyUserProperties()
                    .send();

            PahoRecorder.Received received = recorder.take();

            MqttProperties properties = received.message().getProperties();
            assertEquals(List.of("z=1", "z=1", "y=2"), pahoPairs(properties.getUserProperties()));
            assertEquals("application/xml", properties.getContentType());
            assertTrue(properties.getPayloadFormat(), "payload format indicator lost");
            assertEquals("reply/hive", properties.getResponseTopic());
            assertArrayEquals(CORRELATION, properties.getCorrelationData());
        } finally {
            TestClients.disconnect(publisher);
            TestClients.disconnect(subscriber);
        }
    }

    @Test
    void inProcessSubscriberSeesNetworkProperties() throws Exception {
        String topic = "props/local/" + BROKER.clientId("t");
        CompletableFuture<Message> received = new CompletableFuture<>();
        try (var subscription = BROKER.broker().subscribe(topic, received::complete);
             RawMqttClient publisher = client("local-pub")) {
            publisher.send(Mqtt5Packets.publish(topic, "{}", 0, 0, false, Mqtt5Properties.create()
                    .userProperty("k", "1").userProperty("k", "2").contentType("application/json")
                    .payloadFormatIndicator(1).responseTopic("reply/local").correlationData(CORRELATION)));

            Message message = received.get(5, TimeUnit.SECONDS);

            List<String> pairs = new ArrayList<>();
            for (UserProperty property : message.userProperties()) {
                pairs.add(property.name() + '=' + property.value());
            }
            assertEquals(List.of("k=1", "k=2"), pairs);
            assertEquals(Optional.of("application/json"), message.contentType());
            assertTrue(message.payloadUtf8(), "payload format indicator lost");
            assertEquals(Optional.of("reply/local"), message.responseTopic());
            assertArrayEquals(CORRELATION, bytes(message.correlationData().orElse(null)));
        }
    }

    @Test
    void inProcessPublisherPropertiesReachNetwork() {
        String topic = "props/remote/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = subscriber(topic)) {
            BROKER.broker().publish(Message.builder(topic).payload("x")
                    .userProperty("trace", "abc").userProperty("trace", "def")
                    .contentType("text/plain").payloadUtf8(true)
                    .responseTopic("reply/remote").correlationData(CORRELATION).build());

            RawPacket delivered = subscriber.receive(MqttPackets.PUBLISH);

            ReceivedProperties properties = ReceivedProperties.ofPublish(delivered);
            assertEquals(List.of("trace=abc", "trace=def"), properties.userProperties());
            assertEquals("text/plain", properties.string(CONTENT_TYPE));
            assertEquals(1, properties.integer(PAYLOAD_FORMAT_INDICATOR));
            assertEquals("reply/remote", properties.string(RESPONSE_TOPIC));
            assertArrayEquals(CORRELATION, properties.binary(CORRELATION_DATA));
            assertFalse(properties.contains(MESSAGE_EXPIRY_INTERVAL), properties.toString());
        }
    }

    @Test
    void retainedMessageKeepsProperties() {
        String topic = "props/retained/" + BROKER.clientId("t");
        try (RawMqttClient publisher = client("retain-pub")) {
            publisher.send(Mqtt5Packets.publish(topic, "kept", 1, 1, true, Mqtt5Properties.create()
                    .userProperty("k", "v").contentType("text/plain").correlationData(CORRELATION)));
            assertEquals(MqttPackets.PUBACK, publisher.receive().type());

            try (RawMqttClient subscriber = subscriber(topic)) {
                RawPacket retained = subscriber.receive(MqttPackets.PUBLISH);

                ReceivedProperties properties = ReceivedProperties.ofPublish(retained);
                assertTrue(retained.retain(), "retained message without retain flag");
                assertEquals(List.of("k=v"), properties.userProperties());
                assertEquals("text/plain", properties.string(CONTENT_TYPE));
                assertArrayEquals(CORRELATION, properties.binary(CORRELATION_DATA));
            }
        } finally {
            BROKER.broker().publish(Message.builder(topic).retain(true).build());
        }
    }

    private static RawMqttClient client(String prefix) {
        return Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId(prefix)));
    }

    private static RawMqttClient subscriber(String filter) {
        RawMqttClient client = client("sub");
        Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), filter, 1);
        return client;
    }

    private static Mqtt5BlockingClient hiveMqClient(String prefix) {
        return MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId(prefix))
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
    }

    private static org.eclipse.paho.mqttv5.client.MqttClient pahoClient(String prefix) throws Exception {
        org.eclipse.paho.mqttv5.client.MqttClient client = new org.eclipse.paho.mqttv5.client.MqttClient(
                BROKER.serverUri(), BROKER.clientId(prefix), new MemoryPersistence());
        return client;
    }

    private static List<String> pairs(List<? extends Mqtt5UserProperty> properties) {
        List<String> pairs = new ArrayList<>();
        for (Mqtt5UserProperty property : properties) {
            pairs.add(property.getName() + "=" + property.getValue());
        }
        return pairs;
    }

    private static List<String> pahoPairs(List<org.eclipse.paho.mqttv5.common.packet.UserProperty> properties) {
        assertNotNull(properties, "no user properties");
        List<String> pairs = new ArrayList<>();
        for (org.eclipse.paho.mqttv5.common.packet.UserProperty property : properties) {
            pairs.add(property.getKey() + "=" + property.getValue());
        }
        return pairs;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        assertNotNull(buffer, "no correlation data");
        byte[] copy = new byte[buffer.remaining()];
        buffer.duplicate().get(copy);
        return copy;
    }
}
