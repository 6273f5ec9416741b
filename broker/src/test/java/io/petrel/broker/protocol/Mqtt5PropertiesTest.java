package io.petrel.broker.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.pubrec.Mqtt5PubRecReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAck;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.unsubscribe.unsuback.Mqtt5UnsubAckReasonCode;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.Subscription;
import io.petrel.api.UserProperty;
import io.petrel.broker.testing.BrokerExtension;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * MQTT 5.0 message properties pass through the broker unchanged, to network and in-process
 * subscribers, and acknowledgements carry the reason codes the specification defines.
 */
class Mqtt5PropertiesTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    private static final long EXPIRY_SECONDS = 60;

    /** User properties with a repeated name and a repeated pair, whose order must survive. */
    private static final List<UserProperty> USER_PROPERTIES = List.of(
            new UserProperty("k", "1"),
            new UserProperty("a", "x"),
            new UserProperty("k", "2"),
            new UserProperty("k", "1"));

    @Test
    void propertiesForwardedToNetworkSubscriber() throws Exception {
        String topic = "props/network/" + BROKER.clientId("t");
        Mqtt5BlockingClient subscriber = hiveMqClient("propsub");
        Mqtt5BlockingClient publisher = hiveMqClient("proppub");
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            subscriber.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            publishWithProperties(publisher, topic);

            Mqtt5Publish received = publishes.receive(5, TimeUnit.SECONDS)
                    .orElseThrow(() -> new AssertionError("no message within 5 s"));

            assertEquals(USER_PROPERTIES, userProperties(received.getUserProperties()));
            assertEquals("application/json", received.getContentType().map(Object::toString).orElse(null));
            assertEquals(Optional.of(Mqtt5PayloadFormatIndicator.UTF_8), received.getPayloadFormatIndicator());
            assertEquals("reply/here", received.getResponseTopic().map(Object::toString).orElse(null));
            assertEquals(ByteBuffer.wrap(correlationData()), received.getCorrelationData().orElse(null));
            assertExpiryKept(received.getMessageExpiryInterval());
            assertEquals("{\"n\":1}", new String(received.getPayloadAsBytes(), StandardCharsets.UTF_8));
        } finally {
            subscriber.disconnect();
            publisher.disconnect();
        }
    }

    @Test
    void propertiesForwardedToInProcessHandler() throws Exception {
        String topic = "props/handler/" + BROKER.clientId("t");
        BlockingQueue<Message> received = new LinkedBlockingQueue<>();
        Mqtt5BlockingClient publisher = hiveMqClient("prophandler");
        try (Subscription subscription = BROKER.broker().subscribe(topic, received::add)) {
            publishWithProperties(publisher, topic);

            Message message = received.poll(5, TimeUnit.SECONDS);

            assertNotNull(message, "no message within 5 s");
            assertEquals(USER_PROPERTIES, message.userProperties());
            assertEquals(Optional.of("application/json"), message.contentType());
            assertTrue(message.payloadUtf8(), "payload format indicator");
            assertEquals(Optional.of("reply/here"), message.responseTopic());
            assertEquals(Optional.of(ByteBuffer.wrap(correlationData())), message.correlationData());
            assertExpiryKept(message.messageExpiryIntervalSeconds());
        } finally {
            publisher.disconnect();
        }
    }

    @Test
    void inProcessPropertiesReachPaho() throws Exception {
        String topic = "props/paho/" + BROKER.clientId("t");
        BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
        org.eclipse.paho.mqttv5.client.MqttClient subscriber = pahoClient(received);
        try {
            subscriber.subscribe(topic, 1);
            Message message = Message.builder(topic).payload("{}").qos(Qos.AT_LEAST_ONCE)
                    .userProperties(USER_PROPERTIES).contentType("application/json").payloadUtf8(true)
                    .responseTopic("reply/here").correlationData(correlationData())
                    .messageExpiryIntervalSeconds(EXPIRY_SECONDS).build();
            BROKER.broker().publish(message).toCompletableFuture().get(5, TimeUnit.SECONDS);

            MqttMessage delivered = received.poll(5, TimeUnit.SECONDS);

            assertNotNull(delivered, "no message within 5 s");
            MqttProperties properties = delivered.getProperties();
            assertEquals(USER_PROPERTIES, properties.getUserProperties().stream()
                    .map(property -> new UserProperty(property.getKey(), property.getValue())).toList());
            assertEquals("application/json", properties.getContentType());
            assertTrue(properties.getPayloadFormat(), "payload format indicator");
            assertEquals("reply/here", properties.getResponseTopic());
            assertArrayEquals(correlationData(), properties.getCorrelationData());
            assertNotNull(properties.getMessageExpiryInterval(), "message expiry interval");
            assertExpiryKept(OptionalLong.of(properties.getMessageExpiryInterval()));
        } finally {
            subscriber.disconnect();
            subscriber.close();
        }
    }

    @Test
    void pubackReasonIsSuccessOrNoSubscribers() {
        Mqtt5BlockingClient publisher = hiveMqClient("puback");
        try {
            Mqtt5PublishResult result = publisher.publishWith().topic("props/nobody/" + BROKER.clientId("t"))
                    .qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {1}).send();

            Mqtt5PublishResult.Mqtt5Qos1Result qos1 = assertInstanceOf(Mqtt5PublishResult.Mqtt5Qos1Result.class, result);
            assertTrue(Set.of(Mqtt5PubAckReasonCode.SUCCESS, Mqtt5PubAckReasonCode.NO_MATCHING_SUBSCRIBERS)
                    .contains(qos1.getPubAck().getReasonCode()), "PUBACK reason: " + qos1.getPubAck());
        } finally {
            publisher.disconnect();
        }
    }

    @Test
    void pubrecReasonIsSuccessOrNoSubscribers() {
        Mqtt5BlockingClient publisher = hiveMqClient("pubrec");
        try {
            Mqtt5PublishResult result = publisher.publishWith().topic("props/nobody2/" + BROKER.clientId("t"))
                    .qos(MqttQos.EXACTLY_ONCE).payload(new byte[] {1}).send();

            Mqtt5PublishResult.Mqtt5Qos2Result qos2 = assertInstanceOf(Mqtt5PublishResult.Mqtt5Qos2Result.class, result);
            assertTrue(Set.of(Mqtt5PubRecReasonCode.SUCCESS, Mqtt5PubRecReasonCode.NO_MATCHING_SUBSCRIBERS)
                    .contains(qos2.getPubRec().getReasonCode()), "PUBREC reason: " + qos2.getPubRec());
        } finally {
            publisher.disconnect();
        }
    }

    @Test
    void subackReasonCodesGrantRequestedQos() {
        String prefix = "props/suback/" + BROKER.clientId("t");
        Mqtt5BlockingClient client = hiveMqClient("suback");
        try {
            Mqtt5SubAck suback = client.subscribeWith()
                    .addSubscription().topicFilter(prefix + "/0").qos(MqttQos.AT_MOST_ONCE).applySubscription()
                    .addSubscription().topicFilter(prefix + "/1").qos(MqttQos.AT_LEAST_ONCE).applySubscription()
                    .addSubscription().topicFilter(prefix + "/2").qos(MqttQos.EXACTLY_ONCE).applySubscription()
                    .send();

            assertEquals(List.of(Mqtt5SubAckReasonCode.GRANTED_QOS_0, Mqtt5SubAckReasonCode.GRANTED_QOS_1,
                    Mqtt5SubAckReasonCode.GRANTED_QOS_2), suback.getReasonCodes());
        } finally {
            client.disconnect();
        }
    }

    @Test
    void unsubackReasonIsSuccess() {
        String filter = "props/unsuback/" + BROKER.clientId("t");
        Mqtt5BlockingClient client = hiveMqClient("unsuback");
        try {
            client.subscribeWith().topicFilter(filter).qos(MqttQos.AT_MOST_ONCE).send();

            List<Mqtt5UnsubAckReasonCode> codes = client.unsubscribeWith().topicFilter(filter).send().getReasonCodes();

            assertEquals(List.of(Mqtt5UnsubAckReasonCode.SUCCESS), codes);
        } finally {
            client.disconnect();
        }
    }

    private static void publishWithProperties(Mqtt5BlockingClient publisher, String topic) {
        var builder = publisher.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE)
                .payload("{\"n\":1}".getBytes(StandardCharsets.UTF_8))
                .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
                .contentType("application/json")
                .responseTopic("reply/here")
                .correlationData(correlationData())
                .messageExpiryInterval(EXPIRY_SECONDS);
        var userProperties = Mqtt5UserProperties.builder();
        USER_PROPERTIES.forEach(property -> userProperties.add(property.name(), property.value()));
        builder.userProperties(userProperties.build()).send();
    }

    private static List<UserProperty> userProperties(Mqtt5UserProperties properties) {
        return properties.asList().stream()
                .map(property -> new UserProperty(property.getName().toString(), property.getValue().toString()))
                .toList();
    }

    /**
     * Checks the forwarded message expiry interval. The broker forwards the remaining lifetime, so the
     * value may be a few seconds lower than the published one, but never higher.
     */
    private static void assertExpiryKept(OptionalLong expiry) {
        assertTrue(expiry.isPresent(), "message expiry interval missing");
        assertTrue(expiry.getAsLong() <= EXPIRY_SECONDS, "expiry " + expiry.getAsLong() + " s, published with " + EXPIRY_SECONDS);
        assertTrue(expiry.getAsLong() > EXPIRY_SECONDS - 5, "expiry " + expiry.getAsLong() + " s, published with " + EXPIRY_SECONDS);
    }

    private static byte[] correlationData() {
        return new byte[] {0x00, 0x7F, (byte) 0x80, (byte) 0xFF};
    }

    private static Mqtt5BlockingClient hiveMqClient(String name) {
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId(name))
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
        client.connect();
        return client;
    }

    private static org.eclipse.paho.mqttv5.client.MqttClient pahoClient(BlockingQueue<MqttMessage> received)
            throws MqttException {
        org.eclipse.paho.mqttv5.client.MqttClient client = new org.eclipse.paho.mqttv5.client.MqttClient(
                BROKER.serverUri(), BROKER.clientId("pahoprops"), new MemoryPersistence());
        client.setCallback(new MqttCallback() {
            @Override
            public void disconnected(MqttDisconnectResponse response) {
            }

            @Override
            public void mqttErrorOccurred(MqttException exception) {
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                received.add(message);
            }

            @Override
            public void deliveryComplete(IMqttToken token) {
            }

            @Override
            public void connectComplete(boolean reconnect, String serverUri) {
            }

            @Override
            public void authPacketArrived(int reasonCode, MqttProperties properties) {
            }
        });
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        client.connect(options);
        return client;
    }
}
