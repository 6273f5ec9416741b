package io.petrel.broker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.petrel.broker.testing.BrokerExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Publish and subscribe with the client libraries that applications use: Eclipse Paho for MQTT 3.1,
 * 3.1.1 and 5.0, and the HiveMQ client for MQTT 3.1.1 and 5.0, each with each other at every QoS.
 */
class PubSubClientsTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    private static final long RECEIVE_TIMEOUT_SECONDS = 5;

    /** A client library and protocol version. */
    enum Kind {
        PAHO_31, PAHO_311, PAHO_5, HIVEMQ_3, HIVEMQ_5;

        Client connect(String clientId) throws Exception {
            return switch (this) {
                case PAHO_31 -> new PahoV3Client(clientId, MqttConnectOptions.MQTT_VERSION_3_1);
                case PAHO_311 -> new PahoV3Client(clientId, MqttConnectOptions.MQTT_VERSION_3_1_1);
                case PAHO_5 -> new PahoV5Client(clientId);
                case HIVEMQ_3 -> new HiveMqV3Client(clientId);
                case HIVEMQ_5 -> new HiveMqV5Client(clientId);
            };
        }
    }

    static Stream<Arguments> kindsAndQos() {
        List<Arguments> cases = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (int qos = 0; qos <= 2; qos++) {
                cases.add(Arguments.of(kind, qos));
            }
        }
        return cases.stream();
    }

    /**
     * Returns each kind paired with the next one in a ring, in both directions, so that every kind
     * publishes to and receives from two other kinds without testing all twenty pairs.
     */
    static Stream<Arguments> neighbourKindPairs() {
        Kind[] ring = {Kind.PAHO_31, Kind.PAHO_5, Kind.HIVEMQ_3, Kind.PAHO_311, Kind.HIVEMQ_5};
        List<Arguments> cases = new ArrayList<>();
        for (int i = 0; i < ring.length; i++) {
            Kind next = ring[(i + 1) % ring.length];
            cases.add(Arguments.of(ring[i], next));
            cases.add(Arguments.of(next, ring[i]));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} at QoS {1}")
    @MethodSource("kindsAndQos")
    void publishReachesSubscriberOfSameKind(Kind kind, int qos) throws Exception {
        String topic = "clients/" + kind + "/qos" + qos + "/" + BROKER.clientId("t");
        try (Client subscriber = kind.connect(BROKER.clientId("sub"));
             Client publisher = kind.connect(BROKER.clientId("pub"))) {
            int granted = subscriber.subscribe(topic, 2);
            publisher.publish(topic, "payload-" + qos, qos);

            Received received = subscriber.receive();

            assertEquals(2, granted, "granted QoS");
            assertEquals(topic, received.topic());
            assertEquals("payload-" + qos, received.payload());
            assertEquals(qos, received.qos());
            assertFalse(received.retain());
        }
    }

    @ParameterizedTest(name = "{0} to {1}")
    @MethodSource("neighbourKindPairs")
    void publishReachesSubscriberOfOtherKind(Kind publisherKind, Kind subscriberKind) throws Exception {
        String topic = "cross/" + publisherKind + "/" + subscriberKind;
        try (Client subscriber = subscriberKind.connect(BROKER.clientId("sub"));
             Client publisher = publisherKind.connect(BROKER.clientId("pub"))) {
            subscriber.subscribe(topic, 2);
            publisher.publish(topic, "from " + publisherKind, 2);

            Received received = subscriber.receive();

            assertEquals(topic, received.topic());
            assertEquals("from " + publisherKind, received.payload());
            assertEquals(2, received.qos());
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void unsubscribeStopsDelivery(Kind kind) throws Exception {
        String stopped = "unsub/" + kind + "/stopped";
        String kept = "unsub/" + kind + "/kept";
        try (Client subscriber = kind.connect(BROKER.clientId("sub"));
             Client publisher = kind.connect(BROKER.clientId("pub"))) {
            subscriber.subscribe(stopped, 1);
            subscriber.subscribe(kept, 1);
            subscriber.unsubscribe(stopped);
            publisher.publish(stopped, "gone", 1);
            publisher.publish(kept, "marker", 1);

            Received received = subscriber.receive();

            assertEquals(kept, received.topic(), "the message to the removed subscription arrived first");
        }
    }

    /** A message as a client library delivered it. */
    record Received(String topic, String payload, int qos, boolean retain) {
    }

    /** The operations the tests need, over one client library. */
    interface Client extends AutoCloseable {

        /** Subscribes and returns the granted QoS or failure code from the SUBACK. */
        int subscribe(String filter, int qos) throws Exception;

        /** Publishes and returns once the QoS exchange is complete. */
        void publish(String topic, String payload, int qos) throws Exception;

        /** Waits for the next message. */
        Received receive() throws Exception;

        void unsubscribe(String filter) throws Exception;
    }

    private static Received take(BlockingQueue<Received> queue) throws InterruptedException {
        Received received = queue.poll(RECEIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (received == null) {
            throw new AssertionError("no message within " + RECEIVE_TIMEOUT_SECONDS + " s");
        }
        return received;
    }

    private static final class PahoV3Client implements Client {

        private final org.eclipse.paho.client.mqttv3.MqttClient client;
        private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();

        PahoV3Client(String clientId, int mqttVersion) throws Exception {
            client = new org.eclipse.paho.client.mqttv3.MqttClient(BROKER.serverUri(), clientId, new MemoryPersistence());
            client.setCallback(new MqttCallback() {
                @Override
                public void connectionLost(Throwable cause) {
                }

                @Override
                public void messageArrived(String topic, MqttMessage message) {
                    received.add(new Received(topic, new String(message.getPayload(), StandardCharsets.UTF_8),
                            message.getQos(), message.isRetained()));
                }

                @Override
                public void deliveryComplete(IMqttDeliveryToken token) {
                }
            });
            MqttConnectOptions options = new MqttConnectOptions();
            options.setMqttVersion(mqttVersion);
            options.setCleanSession(true);
            client.connect(options);
        }

        @Override
        public int subscribe(String filter, int qos) throws Exception {
            return client.subscribeWithResponse(filter, qos).getGrantedQos()[0];
        }

        @Override
        public void publish(String topic, String payload, int qos) throws Exception {
            client.publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos, false);
        }

        @Override
        public Received receive() throws InterruptedException {
            return take(received);
        }

        @Override
        public void unsubscribe(String filter) throws Exception {
            client.unsubscribe(filter);
        }

        @Override
        public void close() throws Exception {
            client.disconnect();
            client.close();
        }
    }

    private static final class PahoV5Client implements Client {

        private final org.eclipse.paho.mqttv5.client.MqttClient client;
        private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();

        PahoV5Client(String clientId) throws Exception {
            client = new org.eclipse.paho.mqttv5.client.MqttClient(BROKER.serverUri(), clientId,
                    new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
            client.setCallback(new org.eclipse.paho.mqttv5.client.MqttCallback() {
                @Override
                public void disconnected(MqttDisconnectResponse response) {
                }

                @Override
                public void mqttErrorOccurred(MqttException exception) {
                }

                @Override
                public void messageArrived(String topic, org.eclipse.paho.mqttv5.common.MqttMessage message) {
                    received.add(new Received(topic, new String(message.getPayload(), StandardCharsets.UTF_8),
                            message.getQos(), message.isRetained()));
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
        }

        @Override
        public int subscribe(String filter, int qos) throws Exception {
            return client.subscribe(filter, qos).getReasonCodes()[0];
        }

        @Override
        public void publish(String topic, String payload, int qos) throws Exception {
            client.publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos, false);
        }

        @Override
        public Received receive() throws InterruptedException {
            return take(received);
        }

        @Override
        public void unsubscribe(String filter) throws Exception {
            client.unsubscribe(filter);
        }

        @Override
        public void close() throws Exception {
            client.disconnect();
            client.close();
        }
    }

    private static final class HiveMqV3Client implements Client {

        private final Mqtt3BlockingClient client;
        private final Mqtt3BlockingClient.Mqtt3Publishes publishes;

        HiveMqV3Client(String clientId) {
            client = MqttClient.builder().useMqttVersion3().identifier(clientId)
                    .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
            client.connect();
            publishes = client.publishes(MqttGlobalPublishFilter.ALL);
        }

        @Override
        public int subscribe(String filter, int qos) {
            return client.subscribeWith().topicFilter(filter).qos(MqttQos.fromCode(qos)).send()
                    .getReturnCodes().get(0).getCode();
        }

        @Override
        public void publish(String topic, String payload, int qos) {
            client.publishWith().topic(topic).qos(MqttQos.fromCode(qos))
                    .payload(payload.getBytes(StandardCharsets.UTF_8)).send();
        }

        @Override
        public Received receive() throws InterruptedException {
            Optional<Mqtt3Publish> publish = publishes.receive(RECEIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            Mqtt3Publish message = publish.orElseThrow(
                    () -> new AssertionError("no message within " + RECEIVE_TIMEOUT_SECONDS + " s"));
            return new Received(message.getTopic().toString(),
                    new String(message.getPayloadAsBytes(), StandardCharsets.UTF_8),
                    message.getQos().getCode(), message.isRetain());
        }

        @Override
        public void unsubscribe(String filter) {
            client.unsubscribeWith().topicFilter(filter).send();
        }

        @Override
        public void close() {
            publishes.close();
            client.disconnect();
        }
    }

    private static final class HiveMqV5Client implements Client {

        private final Mqtt5BlockingClient client;
        private final Mqtt5BlockingClient.Mqtt5Publishes publishes;

        HiveMqV5Client(String clientId) {
            client = MqttClient.builder().useMqttVersion5().identifier(clientId)
                    .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
            client.connect();
            publishes = client.publishes(MqttGlobalPublishFilter.ALL);
        }

        @Override
        public int subscribe(String filter, int qos) {
            return client.subscribeWith().topicFilter(filter).qos(MqttQos.fromCode(qos)).send()
                    .getReasonCodes().get(0).getCode();
        }

        @Override
        public void publish(String topic, String payload, int qos) {
            client.publishWith().topic(topic).qos(MqttQos.fromCode(qos))
                    .payload(payload.getBytes(StandardCharsets.UTF_8)).send();
        }

        @Override
        public Received receive() throws InterruptedException {
            Optional<Mqtt5Publish> publish = publishes.receive(RECEIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            Mqtt5Publish message = publish.orElseThrow(
                    () -> new AssertionError("no message within " + RECEIVE_TIMEOUT_SECONDS + " s"));
            return new Received(message.getTopic().toString(),
                    new String(message.getPayloadAsBytes(), StandardCharsets.UTF_8),
                    message.getQos().getCode(), message.isRetain());
        }

        @Override
        public void unsubscribe(String filter) {
            client.unsubscribeWith().topicFilter(filter).send();
        }

        @Override
        public void close() {
            publishes.close();
            client.disconnect();
        }
    }
}
