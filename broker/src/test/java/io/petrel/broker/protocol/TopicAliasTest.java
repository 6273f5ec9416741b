package io.petrel.broker.protocol;

import static io.petrel.broker.testing.Mqtt5Properties.TOPIC_ALIAS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.ReceivedProperties;
import io.petrel.broker.testing.TestClients;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * MQTT 5.0 topic aliases in both directions: aliases a client sets up towards the broker within the
 * broker's Topic Alias Maximum of 3, and aliases the broker assigns to a client within the Topic
 * Alias Maximum that client announced in CONNECT.
 *
 * <p>NOTE: Paho 1.2.5 passes an empty topic to its callback for a PUBLISH that carries a topic
 * alias, even one that also carries the topic, so only the HiveMQ client is used here.
 */
class TopicAliasTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config.topicAliasMaximum(3));

    @Test
    void inboundAliasReplacesEmptyTopic() {
        try (RawMqttClient subscriber = subscriber("in/#");
             RawMqttClient publisher = client("in-pub")) {
            publisher.send(Mqtt5Packets.publish("in/a", "first", 0, 0, false,
                    Mqtt5Properties.create().topicAlias(1)));
            publisher.send(Mqtt5Packets.publish("", "second", 0, 0, false,
                    Mqtt5Properties.create().topicAlias(1)));

            RawPacket first = subscriber.receive(MqttPackets.PUBLISH);
            RawPacket second = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals("in/a", first.topic());
            assertEquals("first", first.payload(MqttPackets.MQTT_5));
            assertEquals("in/a", second.topic());
            assertEquals("second", second.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void inboundAliasCanBeRemapped() {
        try (RawMqttClient subscriber = subscriber("remap/#");
             RawMqttClient publisher = client("remap-pub")) {
            publisher.send(Mqtt5Packets.publish("remap/a", "a", 0, 0, false, Mqtt5Properties.create().topicAlias(2)));
            publisher.send(Mqtt5Packets.publish("remap/b", "b", 0, 0, false, Mqtt5Properties.create().topicAlias(2)));
            publisher.send(Mqtt5Packets.publish("", "via alias", 0, 0, false, Mqtt5Properties.create().topicAlias(2)));

            List<String> topics = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                topics.add(subscriber.receive(MqttPackets.PUBLISH).topic());
            }

            assertEquals(List.of("remap/a", "remap/b", "remap/b"), topics);
        }
    }

    @Test
    void inboundAliasAtMaximumAccepted() {
        try (RawMqttClient subscriber = subscriber("max/#");
             RawMqttClient publisher = client("max-pub")) {
            publisher.send(Mqtt5Packets.publish("max/t", "set", 1, 1, false, Mqtt5Properties.create().topicAlias(3)));
            publisher.send(Mqtt5Packets.publish("", "use", 1, 2, false, Mqtt5Properties.create().topicAlias(3)));

            RawPacket firstAck = publisher.receive();
            RawPacket secondAck = publisher.receive();
            RawPacket delivered = subscriber.receive(MqttPackets.PUBLISH);
            RawPacket aliased = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals(MqttPackets.PUBACK, firstAck.type());
            assertEquals(0x00, firstAck.reasonCode());
            assertEquals(MqttPackets.PUBACK, secondAck.type());
            assertEquals(0x00, secondAck.reasonCode());
            assertEquals("max/t", delivered.topic());
            assertEquals("max/t", aliased.topic());
        }
    }

    @Test
    void inboundAliasZeroDisconnectsWith0x94() {
        try (RawMqttClient publisher = client("zero")) {
            publisher.send(Mqtt5Packets.publish("zero/t", "x", 0, 0, false, Mqtt5Properties.create().topicAlias(0)));

            assertEquals(0x94, Mqtt5Packets.awaitDisconnect(publisher).reasonCode());
        }
    }

    @Test
    void inboundAliasAboveMaximumDisconnectsWith0x94() {
        try (RawMqttClient publisher = client("above")) {
            publisher.send(Mqtt5Packets.publish("above/t", "x", 0, 0, false, Mqtt5Properties.create().topicAlias(4)));

            assertEquals(0x94, Mqtt5Packets.awaitDisconnect(publisher).reasonCode());
        }
    }

    @Test
    void unknownAliasWithEmptyTopicDisconnectsWith0x82() {
        try (RawMqttClient publisher = client("unknown")) {
            publisher.send(Mqtt5Packets.publish("", "x", 0, 0, false, Mqtt5Properties.create().topicAlias(1)));

            assertEquals(0x82, Mqtt5Packets.awaitDisconnect(publisher).reasonCode());
        }
    }

    @Test
    void emptyTopicWithoutAliasDisconnectsWith0x82() {
        try (RawMqttClient publisher = client("no-alias")) {
            publisher.send(Mqtt5Packets.publish("", "x", 0, 0, false, Mqtt5Properties.none()));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(publisher);

            // MQTT 5.0 section 3.3.2.1: a zero-length Topic Name without a Topic Alias is a Protocol Error.
            assertEquals(0x82, disconnect.reasonCode(), "reason code 0x" + Integer.toHexString(disconnect.reasonCode()));
        }
    }

    @Test
    void inboundAliasesArePerConnection() {
        try (RawMqttClient first = client("conn-a");
             RawMqttClient second = client("conn-b")) {
            first.send(Mqtt5Packets.publish("per/conn", "x", 1, 1, false, Mqtt5Properties.create().topicAlias(1)));
            assertEquals(MqttPackets.PUBACK, first.receive().type());

            second.send(Mqtt5Packets.publish("", "x", 0, 0, false, Mqtt5Properties.create().topicAlias(1)));

            assertEquals(0x82, Mqtt5Packets.awaitDisconnect(second).reasonCode());
        }
    }

    @Test
    void inboundAliasRejectedWhenDisabled() {
        PetrelBroker broker = BrokerExtension.startBroker(
                BrokerExtension.testConfig().topicAliasMaximum(0).build(), new SimpleMeterRegistry());
        try (RawMqttClient publisher = Mqtt5Packets.connect(broker.port(), Mqtt5Packets.connect("disabled"))) {
            publisher.send(Mqtt5Packets.publish("off/t", "x", 0, 0, false, Mqtt5Properties.create().topicAlias(1)));

            assertEquals(0x94, Mqtt5Packets.awaitDisconnect(publisher).reasonCode());
        } finally {
            broker.close();
        }
    }

    @Test
    void outboundAliasAssignedWhenClientAllows() {
        String topic = "out/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = subscriberWithAliases("out/#", 2)) {
            publish(topic, "one");
            publish(topic, "two");

            RawPacket first = subscriber.receive(MqttPackets.PUBLISH);
            RawPacket second = subscriber.receive(MqttPackets.PUBLISH);

            ReceivedProperties firstProperties = ReceivedProperties.ofPublish(first);
            ReceivedProperties secondProperties = ReceivedProperties.ofPublish(second);
            long alias = firstProperties.integer(TOPIC_ALIAS);
            assertEquals(topic, first.topic());
            assertTrue(alias >= 1, "alias " + alias + " outside 1 to 2");
            assertTrue(alias <= 2, "alias " + alias + " outside 1 to 2");
            assertEquals("", second.topic(), "second PUBLISH repeats the aliased topic");
            assertEquals(alias, secondProperties.integer(TOPIC_ALIAS));
            assertEquals("two", new String(ReceivedProperties.publishPayload(second), StandardCharsets.UTF_8));
        }
    }

    @Test
    void outboundAliasesNeverExceedClientMaximum() {
        String prefix = "cap/" + BROKER.clientId("t") + "/";
        try (RawMqttClient subscriber = subscriberWithAliases("cap/#", 2)) {
            for (String level : List.of("a", "b", "c", "c", "a")) {
                publish(prefix + level, level);
            }

            List<RawPacket> received = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                received.add(subscriber.receive(MqttPackets.PUBLISH));
            }

            RawPacket thirdTopic = received.get(2);
            RawPacket thirdTopicAgain = received.get(3);
            RawPacket firstTopicAgain = received.get(4);
            for (RawPacket publish : received) {
                for (Object alias : ReceivedProperties.ofPublish(publish).values(TOPIC_ALIAS)) {
                    assertTrue((Long) alias >= 1, "alias " + alias + " in " + publish);
                    assertTrue((Long) alias <= 2, "alias " + alias + " in " + publish);
                }
            }
            assertEquals(prefix + "c", thirdTopic.topic());
            assertFalse(ReceivedProperties.ofPublish(thirdTopic).contains(TOPIC_ALIAS), "third topic got an alias");
            assertEquals(prefix + "c", thirdTopicAgain.topic());
            assertFalse(ReceivedProperties.ofPublish(thirdTopicAgain).contains(TOPIC_ALIAS));
            assertEquals("", firstTopicAgain.topic(), "first topic is sent by alias");
            assertEquals("a", new String(ReceivedProperties.publishPayload(firstTopicAgain), StandardCharsets.UTF_8));
        }
    }

    @Test
    void noOutboundAliasWithoutClientMaximum() {
        String topic = "plain/" + BROKER.clientId("t");
        try (RawMqttClient subscriber = subscriber("plain/#")) {
            publish(topic, "one");
            publish(topic, "two");

            RawPacket first = subscriber.receive(MqttPackets.PUBLISH);
            RawPacket second = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals(topic, first.topic());
            assertFalse(ReceivedProperties.ofPublish(first).contains(TOPIC_ALIAS));
            assertEquals(topic, second.topic());
            assertFalse(ReceivedProperties.ofPublish(second).contains(TOPIC_ALIAS));
        }
    }

    @Test
    void noOutboundAliasWhenDisabledByConfig() {
        PetrelBroker broker = BrokerExtension.startBroker(
                BrokerExtension.testConfig().outboundTopicAliases(false).build(), new SimpleMeterRegistry());
        try (RawMqttClient subscriber = Mqtt5Packets.connect(broker.port(), Mqtt5Packets.connect("no-out")
                .properties(Mqtt5Properties.create().topicAliasMaximum(5)))) {
            Mqtt5Packets.subscribeAndAwait(subscriber, 1, Mqtt5Properties.none(), "off/#", 0);
            broker.publish(Message.builder("off/t").payload("one").build());
            broker.publish(Message.builder("off/t").payload("two").build());

            RawPacket first = subscriber.receive(MqttPackets.PUBLISH);
            RawPacket second = subscriber.receive(MqttPackets.PUBLISH);

            assertFalse(ReceivedProperties.ofPublish(first).contains(TOPIC_ALIAS));
            assertEquals("off/t", second.topic());
            assertFalse(ReceivedProperties.ofPublish(second).contains(TOPIC_ALIAS));
        } finally {
            broker.close();
        }
    }

    @Test
    void outboundAliasesWithQos1AndRetained() {
        String topic = "mixed/" + BROKER.clientId("t");
        BROKER.broker().publish(Message.builder(topic).payload("kept").retain(true).build());
        try (RawMqttClient subscriber = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("mixed"))
                .properties(Mqtt5Properties.create().topicAliasMaximum(1)))) {
            Mqtt5Packets.subscribeAndAwait(subscriber, 1, Mqtt5Properties.none(), topic, 1);
            RawPacket retained = subscriber.receive(MqttPackets.PUBLISH);
            subscriber.send(MqttPackets.puback(retained.publishPacketId()));
            publishQos1(topic, "live");

            RawPacket live = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals(topic, retained.topic());
            assertTrue(retained.retain());
            assertEquals(1, ReceivedProperties.ofPublish(retained).integer(TOPIC_ALIAS));
            assertEquals("", live.topic());
            assertEquals(1, ReceivedProperties.ofPublish(live).integer(TOPIC_ALIAS));
            assertEquals(1, live.qos());
        } finally {
            BROKER.broker().publish(Message.builder(topic).retain(true).build());
        }
    }

    @Test
    void hiveMqClientsUseAliasesBothWays() {
        String prefix = "hive/" + BROKER.clientId("t") + "/";
        Mqtt5BlockingClient subscriber = hiveMqClient("hive-sub");
        Mqtt5BlockingClient publisher = hiveMqClient("hive-pub");
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            subscriber.connectWith().restrictions().topicAliasMaximum(2).applyRestrictions().send();
            publisher.connectWith().restrictions().sendTopicAliasMaximum(3).applyRestrictions().send();
            subscriber.subscribeWith().topicFilter("hive/#").qos(MqttQos.AT_LEAST_ONCE).send();
            List<String> sent = List.of("a", "b", "c", "a", "b", "c");
            for (String level : sent) {
                publisher.publishWith().topic(prefix + level).qos(MqttQos.AT_LEAST_ONCE)
                        .payload(level.getBytes(StandardCharsets.UTF_8)).send();
            }

            for (String level : sent) {
                Optional<Mqtt5Publish> received = publishes.receive(5, TimeUnit.SECONDS);
                assertTrue(received.isPresent(), "no message for " + level);
                assertEquals(prefix + level, received.get().getTopic().toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            TestClients.disconnect(publisher);
            TestClients.disconnect(subscriber);
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

    private static RawMqttClient subscriberWithAliases(String filter, int topicAliasMaximum) {
        RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("alias-sub"))
                .properties(Mqtt5Properties.create().topicAliasMaximum(topicAliasMaximum)));
        Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), filter, 0);
        return client;
    }

    private static void publish(String topic, String payload) {
        BROKER.broker().publish(Message.builder(topic).payload(payload).build());
    }

    private static void publishQos1(String topic, String payload) {
        BROKER.broker().publish(Message.builder(topic).payload(payload).qos(Qos.AT_LEAST_ONCE).build());
    }

    private static Mqtt5BlockingClient hiveMqClient(String prefix) {
        return MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId(prefix))
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
    }
}
