package io.petrel.broker.protocol;

import static io.petrel.broker.testing.Mqtt5Properties.ASSIGNED_CLIENT_IDENTIFIER;
import static io.petrel.broker.testing.Mqtt5Properties.RESPONSE_INFORMATION;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.PahoRecorder;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.ReceivedProperties;
import io.petrel.broker.testing.TestClients;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * MQTT 5.0 request / response: Response Topic and Correlation Data travel from requester to
 * responder and back, and the broker returns Response Information in CONNACK to a client that
 * requests it, when a prefix is configured.
 */
class RequestResponseTest {

    private static final String PREFIX = "responses/";

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config.responseInformation(PREFIX));

    @RegisterExtension
    static final BrokerExtension WITHOUT_PREFIX = BrokerExtension.create();

    @Test
    void responseInformationReturnedWhenRequested() {
        String clientId = BROKER.clientId("info");

        ReceivedProperties properties = connack(BROKER, Mqtt5Packets.connect(clientId)
                .properties(Mqtt5Properties.create().requestResponseInformation(1)));

        assertEquals(PREFIX + clientId, properties.string(RESPONSE_INFORMATION));
    }

    @Test
    void responseInformationAbsentWithoutRequest() {
        ReceivedProperties properties = connack(BROKER, Mqtt5Packets.connect(BROKER.clientId("silent")));

        assertFalse(properties.contains(RESPONSE_INFORMATION), properties.toString());
    }

    @Test
    void responseInformationAbsentWhenRequestIsZero() {
        ReceivedProperties properties = connack(BROKER, Mqtt5Packets.connect(BROKER.clientId("zero"))
                .properties(Mqtt5Properties.create().requestResponseInformation(0)));

        assertFalse(properties.contains(RESPONSE_INFORMATION), properties.toString());
    }

    @Test
    void responseInformationAbsentWithoutPrefix() {
        ReceivedProperties properties = connack(WITHOUT_PREFIX, Mqtt5Packets.connect(WITHOUT_PREFIX.clientId("none"))
                .properties(Mqtt5Properties.create().requestResponseInformation(1)));

        assertFalse(properties.contains(RESPONSE_INFORMATION), properties.toString());
    }

    @Test
    void responseInformationUsesAssignedIdentifier() {
        ReceivedProperties properties = connack(BROKER, Mqtt5Packets.connect("")
                .properties(Mqtt5Properties.create().requestResponseInformation(1)));

        assertEquals(PREFIX + properties.string(ASSIGNED_CLIENT_IDENTIFIER), properties.string(RESPONSE_INFORMATION));
    }

    @Test
    void pahoClientReadsResponseInformation() throws Exception {
        String clientId = BROKER.clientId("paho");
        org.eclipse.paho.mqttv5.client.MqttClient client = new org.eclipse.paho.mqttv5.client.MqttClient(
                BROKER.serverUri(), clientId, new MemoryPersistence());
        try {
            MqttConnectionOptions options = new MqttConnectionOptions();
            options.setRequestResponseInfo(true);
            IMqttToken token = client.connectWithResult(options);

            assertEquals(PREFIX + clientId, token.getResponseProperties().getResponseInfo());
        } finally {
            TestClients.disconnect(client);
        }
    }

    @Test
    void hiveMqClientReadsResponseInformation() {
        String clientId = BROKER.clientId("hive");
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(clientId)
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
        try {
            Mqtt5ConnAck connack = client.connectWith().restrictions().requestResponseInformation(true)
                    .applyRestrictions().send();

            assertEquals(Optional.of(PREFIX + clientId), connack.getResponseInformation().map(Object::toString));
        } finally {
            TestClients.disconnect(client);
        }
    }

    /**
     * A Paho requester publishes a request with a response topic under its Response Information and
     * correlation data; a HiveMQ responder answers on that topic with the same correlation data.
     */
    @Test
    void requestAndResponseRoundTrip() throws Exception {
        String requestTopic = "service/" + BROKER.clientId("t");
        byte[] correlation = "request-17".getBytes(StandardCharsets.UTF_8);
        PahoRecorder requesterInbox = new PahoRecorder();
        org.eclipse.paho.mqttv5.client.MqttClient requester = new org.eclipse.paho.mqttv5.client.MqttClient(
                BROKER.serverUri(), BROKER.clientId("requester"), new MemoryPersistence());
        Mqtt5BlockingClient responder = MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId("responder"))
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
        try (Mqtt5BlockingClient.Mqtt5Publishes requests = responder.publishes(MqttGlobalPublishFilter.ALL)) {
            requester.setCallback(requesterInbox);
            MqttConnectionOptions options = new MqttConnectionOptions();
            options.setRequestResponseInfo(true);
            String responseTopic = requester.connectWithResult(options).getResponseProperties().getResponseInfo()
                    + "/answers";
            requester.subscribe(responseTopic, 1);
            responder.connect();
            responder.subscribeWith().topicFilter(requestTopic).qos(MqttQos.AT_LEAST_ONCE).send();

            MqttProperties requestProperties = new MqttProperties();
            requestProperties.setResponseTopic(responseTopic);
            requestProperties.setCorrelationData(correlation);
            MqttMessage request = new MqttMessage("what time is it?".getBytes(StandardCharsets.UTF_8));
            request.setQos(1);
            request.setProperties(requestProperties);
            requester.publish(requestTopic, request);

            Optional<Mqtt5Publish> received = requests.receive(5, TimeUnit.SECONDS);
            assertTrue(received.isPresent(), "the responder received no request");
            Mqtt5Publish forwarded = received.get();
            assertEquals(Optional.of(responseTopic), forwarded.getResponseTopic().map(Object::toString));
            ByteBuffer forwardedCorrelation = forwarded.getCorrelationData().orElseThrow();
            responder.publishWith().topic(forwarded.getResponseTopic().get()).qos(MqttQos.AT_LEAST_ONCE)
                    .correlationData(forwardedCorrelation).payload("noon".getBytes(StandardCharsets.UTF_8)).send();

            PahoRecorder.Received response = requesterInbox.take();

            assertEquals(responseTopic, response.topic());
            assertEquals("noon", new String(response.message().getPayload(), StandardCharsets.UTF_8));
            assertArrayEquals(correlation, response.message().getProperties().getCorrelationData());
        } finally {
            TestClients.disconnect(responder);
            TestClients.disconnect(requester);
        }
    }

    private static ReceivedProperties connack(BrokerExtension broker, Mqtt5Packets.Connect connect) {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connect.toBytes());
            RawPacket connack = client.receive();
            assertTrue(connack.isSuccessfulConnack(), "expected a successful CONNACK, got " + connack);
            return ReceivedProperties.ofConnack(connack);
        }
    }
}
