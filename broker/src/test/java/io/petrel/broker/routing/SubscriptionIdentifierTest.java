package io.petrel.broker.routing;

import static io.petrel.broker.testing.Mqtt5Properties.SUBSCRIPTION_IDENTIFIER;
import static io.petrel.broker.testing.Mqtt5Properties.SUBSCRIPTION_IDENTIFIER_AVAILABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.PahoRecorder;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.ReceivedProperties;
import io.petrel.broker.testing.TestClients;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * MQTT 5.0 subscription identifiers (MQTT 5.0 sections 3.8.2.1.2 and 3.3.4). The broker stores one
 * with each subscription and returns it in every PUBLISH that the subscription matches, all of them
 * when several subscriptions match. With identifiers turned off it disconnects a client that sends
 * one with reason 0xA1.
 */
class SubscriptionIdentifierTest {

    @RegisterExtension
    static final BrokerExtension BROKER  = BrokerExtension.create();

    @RegisterExtension
    static final BrokerExtension DISABLED = BrokerExtension.withConfig(config -> config.subscriptionIdentifiers(false));

    @Test
    void publishCarriesSubscriptionIdentifier() {
        String topic = "sid/one/" + BROKER.clientId("t");
        try (RawMqttClient client = client(BROKER, "one")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, withId(42), topic, 1);
            publish(topic, "x");

            RawPacket delivered = client.receive(MqttPackets.PUBLISH);

            assertEquals(List.of(42L), ReceivedProperties.ofPublish(delivered).subscriptionIdentifiers());
        }
    }

    @Test
    void overlappingSubscriptionsCarryAllIdentifiers() {
        String prefix = "sid/overlap/" + BROKER.clientId("t");
        try (RawMqttClient client = client(BROKER, "overlap")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, withId(1), prefix + "/#", 1);
            Mqtt5Packets.subscribeAndAwait(client, 2, withId(2), prefix + "/+", 1);
            Mqtt5Packets.subscribeAndAwait(client, 3, Mqtt5Properties.none(), prefix + "/x", 1);
            publish(prefix + "/x", "x");

            List<Long> ids = identifiersUntilQuiet(client);

            assertEquals(List.of(1L, 2L), ids.stream().sorted().toList());
        }
    }

    @Test
    void subscriptionWithoutIdentifierAddsNone() {
        String topic = "sid/none/" + BROKER.clientId("t");
        try (RawMqttClient client = client(BROKER, "none")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1);
            publish(topic, "x");

            RawPacket delivered = client.receive(MqttPackets.PUBLISH);

            assertFalse(ReceivedProperties.ofPublish(delivered).contains(SUBSCRIPTION_IDENTIFIER));
        }
    }

    @Test
    void identifierIsPerSubscriber() {
        String topic = "sid/per/" + BROKER.clientId("t");
        try (RawMqttClient first = client(BROKER, "per-a");
             RawMqttClient second = client(BROKER, "per-b")) {
            Mqtt5Packets.subscribeAndAwait(first, 1, withId(7), topic, 1);
            Mqtt5Packets.subscribeAndAwait(second, 1, withId(8), topic, 1);
            publish(topic, "x");

            RawPacket toFirst = first.receive(MqttPackets.PUBLISH);
            RawPacket toSecond = second.receive(MqttPackets.PUBLISH);

            assertEquals(List.of(7L), ReceivedProperties.ofPublish(toFirst).subscriptionIdentifiers());
            assertEquals(List.of(8L), ReceivedProperties.ofPublish(toSecond).subscriptionIdentifiers());
        }
    }

    @Test
    void resubscribeReplacesIdentifier() {
        String topic = "sid/replace/" + BROKER.clientId("t");
        try (RawMqttClient client = client(BROKER, "replace")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, withId(5), topic, 1);
            Mqtt5Packets.subscribeAndAwait(client, 2, withId(6), topic, 1);
            publish(topic, "x");

            RawPacket delivered = client.receive(MqttPackets.PUBLISH);

            assertEquals(List.of(6L), ReceivedProperties.ofPublish(delivered).subscriptionIdentifiers());
        }
    }

    @Test
    void resubscribeWithoutIdentifierRemovesIt() {
        String topic = "sid/remove/" + BROKER.clientId("t");
        try (RawMqttClient client = client(BROKER, "remove")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, withId(5), topic, 1);
            Mqtt5Packets.subscribeAndAwait(client, 2, Mqtt5Properties.none(), topic, 1);
            publish(topic, "x");

            RawPacket delivered = client.receive(MqttPackets.PUBLISH);

            assertFalse(ReceivedProperties.ofPublish(delivered).contains(SUBSCRIPTION_IDENTIFIER));
        }
    }

    @Test
    void largestIdentifierRoundTrips() {
        String topic = "sid/max/" + BROKER.clientId("t");
        try (RawMqttClient client = client(BROKER, "max")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, withId(268_435_455), topic, 1);
            publish(topic, "x");

            RawPacket delivered = client.receive(MqttPackets.PUBLISH);

            assertEquals(List.of(268_435_455L), ReceivedProperties.ofPublish(delivered).subscriptionIdentifiers());
        }
    }

    @Test
    void retainedMessageCarriesIdentifier() {
        String topic = "sid/retained/" + BROKER.clientId("t");
        BROKER.broker().publish(Message.builder(topic).payload("kept").retain(true).build());
        try (RawMqttClient client = client(BROKER, "retained")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, withId(99), topic, 1);

            RawPacket retained = client.receive(MqttPackets.PUBLISH);

            assertTrue(retained.retain());
            assertEquals(List.of(99L), ReceivedProperties.ofPublish(retained).subscriptionIdentifiers());
        } finally {
            BROKER.broker().publish(Message.builder(topic).retain(true).build());
        }
    }

    @Test
    void sharedSubscriptionCarriesIdentifier() {
        String topic = "sid/shared/" + BROKER.clientId("t");
        try (RawMqttClient client = client(BROKER, "shared")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, withId(300), "$share/sid-group/" + topic, 1);
            publish(topic, "x");

            RawPacket delivered = client.receive(MqttPackets.PUBLISH);

            assertEquals(List.of(300L), ReceivedProperties.ofPublish(delivered).subscriptionIdentifiers());
        }
    }

    @Test
    void identifierZeroIsProtocolError() {
        try (RawMqttClient client = client(BROKER, "zero")) {
            client.send(Mqtt5Packets.subscribe(1, withId(0), "sid/zero", 1));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x82, disconnect.reasonCode());
        }
    }

    @Test
    void identifierTwiceIsProtocolError() {
        try (RawMqttClient client = client(BROKER, "twice")) {
            client.send(Mqtt5Packets.subscribe(1, withId(3).subscriptionIdentifier(4), "sid/twice", 1));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x82, disconnect.reasonCode());
        }
    }

    @Test
    void connackAdvertisesIdentifiersAvailable() {
        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(Mqtt5Packets.connect(BROKER.clientId("connack")).toBytes());

            ReceivedProperties properties = ReceivedProperties.ofConnack(client.receive());

            // An absent property means available (MQTT 5.0 section 3.2.2.3.12).
            boolean available = !properties.contains(SUBSCRIPTION_IDENTIFIER_AVAILABLE)
                    || properties.integer(SUBSCRIPTION_IDENTIFIER_AVAILABLE) == 1;
            assertTrue(available, properties.toString());
        }
    }

    @Test
    void connackAdvertisesIdentifiersUnavailable() {
        try (RawMqttClient client = RawMqttClient.open(DISABLED.port())) {
            client.send(Mqtt5Packets.connect(DISABLED.clientId("connack")).toBytes());

            ReceivedProperties properties = ReceivedProperties.ofConnack(client.receive());

            assertEquals(0, properties.integer(SUBSCRIPTION_IDENTIFIER_AVAILABLE));
        }
    }

    @Test
    void identifierWhenDisabledDisconnectsWith0xA1() {
        try (RawMqttClient client = client(DISABLED, "disabled")) {
            client.send(Mqtt5Packets.subscribe(1, withId(1), "sid/disabled", 1));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0xA1, disconnect.reasonCode());
        }
    }

    @Test
    void subscribeWithoutIdentifierWorksWhenDisabled() {
        String topic = "sid/plain/" + DISABLED.clientId("t");
        try (RawMqttClient client = client(DISABLED, "plain")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1);
            DISABLED.broker().publish(Message.builder(topic).payload("x").build());

            RawPacket delivered = client.receive(MqttPackets.PUBLISH);

            assertFalse(ReceivedProperties.ofPublish(delivered).contains(SUBSCRIPTION_IDENTIFIER));
        }
    }

    @Test
    void pahoReceivesIdentifier() throws Exception {
        String topic = "sid/paho/" + BROKER.clientId("t");
        PahoRecorder recorder = new PahoRecorder();
        MqttAsyncClient client = new MqttAsyncClient(BROKER.serverUri(), BROKER.clientId("paho"), new MemoryPersistence());
        try {
            client.setCallback(recorder);
            MqttConnectionOptions options = new MqttConnectionOptions();
            options.setUseSubscriptionIdentifiers(false);
            client.connect(options).waitForCompletion(5_000);
            MqttProperties properties = new MqttProperties();
            properties.setSubscriptionIdentifier(1234);
            client.subscribe(new MqttSubscription[] {new MqttSubscription(topic, 1)}, null, null, properties)
                    .waitForCompletion(5_000);
            publish(topic, "x");

            PahoRecorder.Received received = recorder.take();

            assertEquals(List.of(1234), received.message().getProperties().getSubscriptionIdentifiers());
        } finally {
            TestClients.disconnect(client);
        }
    }

    private static RawMqttClient client(BrokerExtension broker, String prefix) {
        return Mqtt5Packets.connect(broker.port(), Mqtt5Packets.connect(broker.clientId(prefix)));
    }

    private static Mqtt5Properties withId(int id) {
        return Mqtt5Properties.create().subscriptionIdentifier(id);
    }

    private static void publish(String topic, String payload) {
        BROKER.broker().publish(Message.builder(topic).payload(payload).qos(Qos.AT_MOST_ONCE).build());
    }

    /**
     * Returns the subscription identifiers of every PUBLISH that arrives before the answer to a
     * PINGREQ, so that a broker that sends one PUBLISH per matching subscription passes as well as
     * one that sends a single PUBLISH with all identifiers.
     */
    private static List<Long> identifiersUntilQuiet(RawMqttClient client) {
        List<Long> ids = new ArrayList<>();
        RawPacket first = client.receive(MqttPackets.PUBLISH);
        ids.addAll(ReceivedProperties.ofPublish(first).subscriptionIdentifiers());
        client.send(MqttPackets.pingreq());
        for (RawPacket next = client.receive(); next.type() != MqttPackets.PINGRESP; next = client.receive()) {
            ids.addAll(ReceivedProperties.ofPublish(next).subscriptionIdentifiers());
        }
        return ids;
    }
}
