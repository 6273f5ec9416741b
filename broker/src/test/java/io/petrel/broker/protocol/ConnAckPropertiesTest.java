package io.petrel.broker.protocol;

import static io.petrel.broker.testing.Mqtt5Properties.ASSIGNED_CLIENT_IDENTIFIER;
import static io.petrel.broker.testing.Mqtt5Properties.MAXIMUM_PACKET_SIZE;
import static io.petrel.broker.testing.Mqtt5Properties.MAXIMUM_QOS;
import static io.petrel.broker.testing.Mqtt5Properties.RECEIVE_MAXIMUM;
import static io.petrel.broker.testing.Mqtt5Properties.RETAIN_AVAILABLE;
import static io.petrel.broker.testing.Mqtt5Properties.SERVER_KEEP_ALIVE;
import static io.petrel.broker.testing.Mqtt5Properties.SHARED_SUBSCRIPTION_AVAILABLE;
import static io.petrel.broker.testing.Mqtt5Properties.SUBSCRIPTION_IDENTIFIER_AVAILABLE;
import static io.petrel.broker.testing.Mqtt5Properties.TOPIC_ALIAS_MAXIMUM;
import static io.petrel.broker.testing.Mqtt5Properties.WILDCARD_SUBSCRIPTION_AVAILABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckRestrictions;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.ReceivedProperties;
import io.petrel.broker.testing.TestClients;
import java.util.List;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The MQTT 5.0 CONNACK properties through which the broker announces its limits and features, and
 * the reason codes a client gets when it breaks an announced limit.
 */
class ConnAckPropertiesTest {

    /** A broker with every feature on and non-default limits, so that each advertised value is visible. */
    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config
            .receiveMaximum(7)
            .topicAliasMaximum(5)
            .maxPacketSizeBytes(4096)
            .maxKeepAliveSeconds(30));

    /** A broker with every optional feature off and QoS limited to 1. */
    @RegisterExtension
    static final BrokerExtension LIMITED = BrokerExtension.withConfig(config -> config
            .maximumQos(1)
            .retainAvailable(false)
            .wildcardSubscriptions(false)
            .subscriptionIdentifiers(false)
            .sharedSubscriptions(false));

    @Test
    void connackAdvertisesLimits() {
        ReceivedProperties properties = connack(BROKER, Mqtt5Packets.connect(BROKER.clientId("limits")));

        assertEquals(7, properties.integer(RECEIVE_MAXIMUM));
        assertEquals(5, properties.integer(TOPIC_ALIAS_MAXIMUM));
        assertEquals(4096, properties.integer(MAXIMUM_PACKET_SIZE));
    }

    @Test
    void connackAdvertisesAvailableFeatures() {
        ReceivedProperties properties = connack(BROKER, Mqtt5Packets.connect(BROKER.clientId("features")));

        assertFalse(properties.contains(MAXIMUM_QOS), "Maximum QoS is sent only when below 2: " + properties);
        assertAvailable(properties, RETAIN_AVAILABLE, true);
        assertAvailable(properties, WILDCARD_SUBSCRIPTION_AVAILABLE, true);
        assertAvailable(properties, SUBSCRIPTION_IDENTIFIER_AVAILABLE, true);
        assertAvailable(properties, SHARED_SUBSCRIPTION_AVAILABLE, true);
    }

    @Test
    void connackAdvertisesDisabledFeatures() {
        ReceivedProperties properties = connack(LIMITED, Mqtt5Packets.connect(LIMITED.clientId("disabled")));

        assertEquals(1, properties.integer(MAXIMUM_QOS));
        assertEquals(0, properties.integer(RETAIN_AVAILABLE));
        assertEquals(0, properties.integer(WILDCARD_SUBSCRIPTION_AVAILABLE));
        assertEquals(0, properties.integer(SUBSCRIPTION_IDENTIFIER_AVAILABLE));
        assertEquals(0, properties.integer(SHARED_SUBSCRIPTION_AVAILABLE));
    }

    @Test
    void serverKeepAliveAbsentWithinMaximum() {
        ReceivedProperties properties = connack(BROKER,
                Mqtt5Packets.connect(BROKER.clientId("keep-low")).keepAliveSeconds(30));

        assertFalse(properties.contains(SERVER_KEEP_ALIVE), properties.toString());
    }

    @Test
    void serverKeepAliveLowersKeepAliveAboveMaximum() {
        ReceivedProperties properties = connack(BROKER,
                Mqtt5Packets.connect(BROKER.clientId("keep-high")).keepAliveSeconds(31));

        assertEquals(30, properties.integer(SERVER_KEEP_ALIVE));
    }

    @Test
    void emptyClientIdGetsAssignedIdentifier() {
        ReceivedProperties properties = connack(BROKER, Mqtt5Packets.connect(""));

        String assigned = properties.string(ASSIGNED_CLIENT_IDENTIFIER);
        assertFalse(assigned.isEmpty(), "assigned client identifier is empty");
    }

    @Test
    void assignedIdentifiersDiffer() {
        String first = connack(BROKER, Mqtt5Packets.connect("")).string(ASSIGNED_CLIENT_IDENTIFIER);
        String second = connack(BROKER, Mqtt5Packets.connect("")).string(ASSIGNED_CLIENT_IDENTIFIER);

        assertFalse(first.equals(second), "two clients were assigned the identifier " + first);
    }

    @Test
    void givenClientIdGetsNoAssignedIdentifier() {
        ReceivedProperties properties = connack(BROKER, Mqtt5Packets.connect(BROKER.clientId("named")));

        assertFalse(properties.contains(ASSIGNED_CLIENT_IDENTIFIER), properties.toString());
    }

    @Test
    void hiveMqClientReadsRestrictions() {
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5()
                .identifier(BROKER.clientId("hivemq")).serverHost("127.0.0.1").serverPort(BROKER.port())
                .buildBlocking();
        Mqtt5ConnAck connack = client.connectWith().keepAlive(60).send();
        try {
            Mqtt5ConnAckRestrictions restrictions = connack.getRestrictions();
            assertEquals(7, restrictions.getReceiveMaximum());
            assertEquals(5, restrictions.getTopicAliasMaximum());
            assertEquals(4096, restrictions.getMaximumPacketSize());
            assertEquals(MqttQos.EXACTLY_ONCE, restrictions.getMaximumQos());
            assertEquals(30, connack.getServerKeepAlive().orElse(-1));
        } finally {
            TestClients.disconnect(client);
        }
    }

    @Test
    void hiveMqClientReadsDisabledFeatures() {
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5()
                .identifier(LIMITED.clientId("hivemq")).serverHost("127.0.0.1").serverPort(LIMITED.port())
                .buildBlocking();
        Mqtt5ConnAck connack = client.connect();
        try {
            Mqtt5ConnAckRestrictions restrictions = connack.getRestrictions();
            assertEquals(MqttQos.AT_LEAST_ONCE, restrictions.getMaximumQos());
            assertFalse(restrictions.isRetainAvailable());
            assertFalse(restrictions.isWildcardSubscriptionAvailable());
            assertFalse(restrictions.areSubscriptionIdentifiersAvailable());
            assertFalse(restrictions.isSharedSubscriptionAvailable());
        } finally {
            TestClients.disconnect(client);
        }
    }

    @Test
    void pahoClientReadsAssignedIdentifier() throws Exception {
        org.eclipse.paho.mqttv5.client.MqttClient client = new org.eclipse.paho.mqttv5.client.MqttClient(
                BROKER.serverUri(), "", new MemoryPersistence());
        try {
            MqttConnectionOptions options = new MqttConnectionOptions();
            IMqttToken token = client.connectWithResult(options);
            MqttProperties properties = token.getResponseProperties();

            String assigned = properties.getAssignedClientIdentifier();
            assertTrue(assigned != null, "no assigned client identifier");
            assertFalse(assigned.isEmpty(), "assigned client identifier is empty");
            assertEquals(7, properties.getReceiveMaximum());
            assertTrue(properties.isSharedSubscriptionAvailable());
        } finally {
            TestClients.disconnect(client);
        }
    }

    @Test
    void publishAboveMaximumQosDisconnectsWith0x9B() {
        try (RawMqttClient client = Mqtt5Packets.connect(LIMITED.port(),
                Mqtt5Packets.connect(LIMITED.clientId("qos2")))) {
            client.send(Mqtt5Packets.publish("limited/qos", "two", 2, 1, false, Mqtt5Properties.none()));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x9B, disconnect.reasonCode());
        }
    }

    @Test
    void publishAtMaximumQosIsAccepted() {
        try (RawMqttClient client = Mqtt5Packets.connect(LIMITED.port(),
                Mqtt5Packets.connect(LIMITED.clientId("qos1")))) {
            client.send(Mqtt5Packets.publish("limited/qos", "one", 1, 3, false, Mqtt5Properties.none()));

            RawPacket puback = client.receive();

            assertEquals(MqttPackets.PUBACK, puback.type());
            assertEquals(3, puback.packetId());
        }
    }

    @Test
    void retainedPublishWithoutRetainAvailableDisconnectsWith0x9A() {
        try (RawMqttClient client = Mqtt5Packets.connect(LIMITED.port(),
                Mqtt5Packets.connect(LIMITED.clientId("retain")))) {
            client.send(Mqtt5Packets.publish("limited/retain", "kept", 0, 0, true, Mqtt5Properties.none()));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x9A, disconnect.reasonCode());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"limited/+", "limited/#", "+/x", "#"})
    void wildcardFilterWithoutWildcardSupportGetsSubackA2(String filter) {
        try (RawMqttClient client = Mqtt5Packets.connect(LIMITED.port(),
                Mqtt5Packets.connect(LIMITED.clientId("wildcard")))) {
            RawPacket suback = Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), filter, 0);

            assertEquals(List.of(0xA2), suback.subackCodes(MqttPackets.MQTT_5));
            assertTrue(client.ping(), "connection still open after the rejected filter");
        }
    }

    @Test
    void plainFilterWithoutWildcardSupportIsGranted() {
        try (RawMqttClient client = Mqtt5Packets.connect(LIMITED.port(),
                Mqtt5Packets.connect(LIMITED.clientId("plain")))) {
            RawPacket suback = Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), "limited/plain", 1);

            assertEquals(List.of(1), suback.subackCodes(MqttPackets.MQTT_5));
        }
    }

    @Test
    void grantedQosCappedAtMaximumQos() {
        try (RawMqttClient client = Mqtt5Packets.connect(LIMITED.port(),
                Mqtt5Packets.connect(LIMITED.clientId("grant")))) {
            RawPacket suback = Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), "limited/grant", 2);

            assertEquals(List.of(1), suback.subackCodes(MqttPackets.MQTT_5));
        }
    }

    @Test
    void violationsAreCounted() {
        double before = LIMITED.violations("qos_not_supported");
        try (RawMqttClient client = Mqtt5Packets.connect(LIMITED.port(),
                Mqtt5Packets.connect(LIMITED.clientId("count")))) {
            client.send(Mqtt5Packets.publish("limited/qos", "two", 2, 1, false, Mqtt5Properties.none()));
            Mqtt5Packets.awaitDisconnect(client);
        }

        BrokerExtension.awaitIncrease(() -> LIMITED.violations("qos_not_supported"), before);
    }

    private static ReceivedProperties connack(BrokerExtension broker, Mqtt5Packets.Connect connect) {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connect.toBytes());
            RawPacket connack = client.receive();
            assertTrue(connack.isSuccessfulConnack(), "expected a successful CONNACK, got " + connack);
            return ReceivedProperties.ofConnack(connack);
        }
    }

    private static void assertAvailable(ReceivedProperties properties, int id, boolean available) {
        // MQTT 5.0 section 3.2.2.3: an absent availability property means that the feature is available.
        boolean advertised = !properties.contains(id) || properties.integer(id) == 1;
        assertEquals(available, advertised, "property 0x" + Integer.toHexString(id) + " in " + properties);
    }
}
