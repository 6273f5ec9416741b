package io.petrel.broker.routing;

import static io.petrel.broker.testing.Mqtt5Packets.NO_LOCAL;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.Subscription;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.PahoRecorder;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.TestClients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Shared subscriptions {@code $share/{group}/{filter}}: each message goes to exactly one member of a
 * group, network and in-process members alike; a member that leaves hands its unacknowledged
 * messages to another member; retained messages are not sent; malformed share names and options
 * that a shared subscription cannot have are rejected.
 */
class SharedSubscriptionTest {

    private static final int MESSAGES = 20;

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config.maxQueuedMessages(100));

    @RegisterExtension
    static final BrokerExtension DISABLED = BrokerExtension.withConfig(config -> config.sharedSubscriptions(false));

    @Test
    void eachMessageGoesToExactlyOneMember() throws InterruptedException {
        String topic = "shared/even/" + BROKER.clientId("t");
        String filter = "$share/even/" + topic;
        Mqtt5BlockingClient first = hiveMqClient("member-a");
        Mqtt5BlockingClient second = hiveMqClient("member-b");
        try (Mqtt5BlockingClient.Mqtt5Publishes firstInbox = first.publishes(MqttGlobalPublishFilter.ALL);
             Mqtt5BlockingClient.Mqtt5Publishes secondInbox = second.publishes(MqttGlobalPublishFilter.ALL)) {
            first.connect();
            second.connect();
            first.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send();
            second.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send();
            publishNumbered(topic, MESSAGES);

            List<String> firstReceived = new ArrayList<>();
            List<String> secondReceived = new ArrayList<>();
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                drain(firstInbox, firstReceived);
                drain(secondInbox, secondReceived);
                return firstReceived.size() + secondReceived.size() >= MESSAGES;
            });
            // Anything beyond MESSAGES would be a duplicate; give it a moment to show up.
            Optional<Mqtt5Publish> extraFirst = firstInbox.receive(200, TimeUnit.MILLISECONDS);
            Optional<Mqtt5Publish> extraSecond = secondInbox.receive(200, TimeUnit.MILLISECONDS);

            Set<String> distinct = new HashSet<>(firstReceived);
            distinct.addAll(secondReceived);
            assertFalse(firstReceived.isEmpty(), "the first member received nothing");
            assertFalse(secondReceived.isEmpty(), "the second member received nothing");
            assertEquals(MESSAGES, firstReceived.size() + secondReceived.size());
            assertEquals(MESSAGES, distinct.size(), "duplicates in " + firstReceived + " and " + secondReceived);
            assertFalse(extraFirst.isPresent(), "extra message " + extraFirst);
            assertFalse(extraSecond.isPresent(), "extra message " + extraSecond);
        } finally {
            TestClients.disconnect(first);
            TestClients.disconnect(second);
        }
    }

    @Test
    void inProcessAndNetworkMembersShare() throws InterruptedException {
        String topic = "shared/mixed/" + BROKER.clientId("t");
        String filter = "$share/mixed/" + topic + "/#";
        List<String> inProcess = Collections.synchronizedList(new ArrayList<>());
        Mqtt5BlockingClient network = hiveMqClient("net-member");
        try (Subscription local = BROKER.broker().subscribe(filter, message -> inProcess.add(message.payloadAsString()));
             Mqtt5BlockingClient.Mqtt5Publishes inbox = network.publishes(MqttGlobalPublishFilter.ALL)) {
            network.connect();
            network.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send();
            publishNumbered(topic + "/x", MESSAGES);

            List<String> overNetwork = new ArrayList<>();
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                drain(inbox, overNetwork);
                return overNetwork.size() + inProcess.size() >= MESSAGES;
            });
            Optional<Mqtt5Publish> extra = inbox.receive(200, TimeUnit.MILLISECONDS);

            Set<String> distinct = new HashSet<>(overNetwork);
            distinct.addAll(inProcess);
            assertFalse(inProcess.isEmpty(), "the in-process member received nothing");
            assertFalse(overNetwork.isEmpty(), "the network member received nothing");
            assertEquals(MESSAGES, overNetwork.size() + inProcess.size());
            assertEquals(MESSAGES, distinct.size());
            assertFalse(extra.isPresent(), "extra message " + extra);
        } finally {
            TestClients.disconnect(network);
        }
    }

    @Test
    void groupsReceiveIndependently() {
        String topic = "shared/groups/" + BROKER.clientId("t");
        try (RawMqttClient groupA = client("group-a");
             RawMqttClient groupB = client("group-b");
             RawMqttClient plain = client("plain")) {
            Mqtt5Packets.subscribeAndAwait(groupA, 1, Mqtt5Properties.none(), "$share/a/" + topic, 0);
            Mqtt5Packets.subscribeAndAwait(groupB, 1, Mqtt5Properties.none(), "$share/b/" + topic, 0);
            Mqtt5Packets.subscribeAndAwait(plain, 1, Mqtt5Properties.none(), topic, 0);
            BROKER.broker().publish(Message.builder(topic).payload("once per group").build());

            assertEquals("once per group", groupA.receive(MqttPackets.PUBLISH).payload(MqttPackets.MQTT_5));
            assertEquals("once per group", groupB.receive(MqttPackets.PUBLISH).payload(MqttPackets.MQTT_5));
            assertEquals("once per group", plain.receive(MqttPackets.PUBLISH).payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void departingMemberHandsOverUnacknowledgedMessages() {
        String topic = "shared/handover/" + BROKER.clientId("t");
        String filter = "$share/handover/" + topic;
        RawMqttClient withholding = client("withholding");
        try (RawMqttClient acknowledging = client("acknowledging")) {
            Mqtt5Packets.subscribeAndAwait(withholding, 1, Mqtt5Properties.none(), filter, 1);
            Mqtt5Packets.subscribeAndAwait(acknowledging, 1, Mqtt5Properties.none(), filter, 1);
            publishNumbered(topic, 6, Qos.AT_LEAST_ONCE);

            List<String> withheld = new ArrayList<>();
            RawPacket firstWithheld = withholding.receive(MqttPackets.PUBLISH);
            withheld.add(firstWithheld.payload(MqttPackets.MQTT_5));
            withholding.send(MqttPackets.pingreq());
            for (RawPacket next = withholding.receive(); next.type() != MqttPackets.PINGRESP;
                    next = withholding.receive()) {
                withheld.add(next.payload(MqttPackets.MQTT_5));
            }
            withholding.close();

            Set<String> acknowledged = new HashSet<>();
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                RawPacket publish = acknowledging.receive(MqttPackets.PUBLISH);
                acknowledging.send(MqttPackets.puback(publish.publishPacketId()));
                acknowledged.add(publish.payload(MqttPackets.MQTT_5));
                return acknowledged.size() >= 6;
            });

            assertTrue(acknowledged.containsAll(withheld), "withheld " + withheld + ", handed over " + acknowledged);
        } finally {
            withholding.close();
        }
    }

    @Test
    void persistentMemberHandsOverOnDisconnect() {
        String topic = "shared/persistent/" + BROKER.clientId("t");
        String filter = "$share/persistent/" + topic;
        String clientId = BROKER.clientId("persistent");
        RawMqttClient withholding = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId)
                .properties(Mqtt5Properties.create().sessionExpiryInterval(60)));
        try (RawMqttClient acknowledging = client("acknowledging")) {
            Mqtt5Packets.subscribeAndAwait(withholding, 1, Mqtt5Properties.none(), filter, 1);
            Mqtt5Packets.subscribeAndAwait(acknowledging, 1, Mqtt5Properties.none(), filter, 1);
            publishNumbered(topic, 4, Qos.AT_LEAST_ONCE);
            String withheld = withholding.receive(MqttPackets.PUBLISH).payload(MqttPackets.MQTT_5);
            withholding.close();

            Set<String> received = new HashSet<>();
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                RawPacket publish = acknowledging.receive(MqttPackets.PUBLISH);
                acknowledging.send(MqttPackets.puback(publish.publishPacketId()));
                received.add(publish.payload(MqttPackets.MQTT_5));
                return received.contains(withheld);
            });
        } finally {
            withholding.close();
            try (RawMqttClient cleanup = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(clientId))) {
                cleanup.send(MqttPackets.disconnect5(0x00));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"$share/g", "$share//t", "$share/g/", "$share/g+/t", "$share/g#/t", "$share/+/t"})
    void malformedShareNameGetsSuback0x8F(String filter) {
        try (RawMqttClient client = client("malformed")) {
            RawPacket suback = Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), filter, 1);

            assertEquals(List.of(0x8F), suback.subackCodes(MqttPackets.MQTT_5));
            assertTrue(client.ping(), "the connection was closed");
        }
    }

    @Test
    void retainedMessageNotSentToSharedSubscription() {
        String topic = "shared/retained/" + BROKER.clientId("t");
        BROKER.broker().publish(Message.builder(topic).payload("kept").retain(true).build());
        try (RawMqttClient shared = client("shared");
             RawMqttClient plain = client("plain")) {
            Mqtt5Packets.subscribeAndAwait(shared, 1, Mqtt5Properties.none(), "$share/r/" + topic, 1);
            Mqtt5Packets.subscribeAndAwait(plain, 1, Mqtt5Properties.none(), topic, 1);

            RawPacket toPlain = plain.receive(MqttPackets.PUBLISH);

            assertEquals("kept", toPlain.payload(MqttPackets.MQTT_5));
            assertTrue(shared.ping(), "a retained message was sent to a shared subscription");
        } finally {
            BROKER.broker().publish(Message.builder(topic).retain(true).build());
        }
    }

    @Test
    void retainedInProcessMemberGetsNoRetained() {
        String topic = "shared/retained-local/" + BROKER.clientId("t");
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        BROKER.broker().publish(Message.builder(topic).payload("kept").retain(true).build());
        try (Subscription local = BROKER.broker().subscribe("$share/rl/" + topic,
                message -> received.add(message.payloadAsString()))) {
            BROKER.broker().publish(Message.builder(topic).payload("live").build());

            await().atMost(Duration.ofSeconds(3)).until(() -> !received.isEmpty());

            assertEquals(List.of("live"), received);
        } finally {
            BROKER.broker().publish(Message.builder(topic).retain(true).build());
        }
    }

    @Test
    void noLocalOnSharedSubscriptionDisconnectsWith0x82() {
        try (RawMqttClient client = client("nolocal")) {
            client.send(Mqtt5Packets.subscribe(1, Mqtt5Properties.none(), "$share/g/shared/nolocal", 1 | NO_LOCAL));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x82, disconnect.reasonCode());
        }
    }

    @Test
    void disabledSharedSubscriptionsGetSuback0x9E() {
        try (RawMqttClient client = Mqtt5Packets.connect(DISABLED.port(),
                Mqtt5Packets.connect(DISABLED.clientId("disabled")))) {
            RawPacket suback = Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), "$share/g/t", 1);

            assertEquals(List.of(0x9E), suback.subackCodes(MqttPackets.MQTT_5));
        }
    }

    @Test
    void unsubscribedMemberLeavesGroup() {
        String topic = "shared/leave/" + BROKER.clientId("t");
        String filter = "$share/leave/" + topic;
        try (RawMqttClient leaving = client("leaving");
             RawMqttClient staying = client("staying")) {
            Mqtt5Packets.subscribeAndAwait(leaving, 1, Mqtt5Properties.none(), filter, 0);
            Mqtt5Packets.subscribeAndAwait(staying, 1, Mqtt5Properties.none(), filter, 0);
            leaving.send(Mqtt5Packets.unsubscribe(2, filter));
            RawPacket unsuback = leaving.receive(MqttPackets.UNSUBACK);
            publishNumbered(topic, 4);

            List<String> received = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                received.add(staying.receive(MqttPackets.PUBLISH).payload(MqttPackets.MQTT_5));
            }

            assertEquals(List.of(0x00), unsuback.subackCodes(MqttPackets.MQTT_5));
            assertEquals(4, received.size());
            assertTrue(leaving.ping(), "the member received messages after UNSUBSCRIBE");
        }
    }

    @Test
    void mqtt311MemberShares() {
        String topic = "shared/v3/" + BROKER.clientId("t");
        try (RawMqttClient member = RawMqttClient.connect(BROKER.port(), ConnectPacket.mqtt311(BROKER.clientId("v3")))) {
            RawPacket suback = member.subscribe(MqttPackets.MQTT_3_1_1, 1, "$share/v3/" + topic);
            BROKER.broker().publish(Message.builder(topic).payload("to v3").build());

            RawPacket delivered = member.receive(MqttPackets.PUBLISH);

            assertEquals(List.of(1), suback.subackCodes(MqttPackets.MQTT_3_1_1));
            assertEquals(topic, delivered.topic());
            assertEquals("to v3", delivered.payload(MqttPackets.MQTT_3_1_1));
        }
    }

    @Test
    void pahoMemberReceivesTopicNotShareName() throws Exception {
        String topic = "shared/paho/" + BROKER.clientId("t");
        PahoRecorder recorder = new PahoRecorder();
        org.eclipse.paho.mqttv5.client.MqttClient client = new org.eclipse.paho.mqttv5.client.MqttClient(
                BROKER.serverUri(), BROKER.clientId("paho"), new MemoryPersistence());
        try {
            client.setCallback(recorder);
            client.connect(new MqttConnectionOptions());
            client.subscribe("$share/paho/" + topic, 1);
            BROKER.broker().publish(Message.builder(topic).payload("x").build());

            assertEquals(topic, recorder.take().topic());
        } finally {
            TestClients.disconnect(client);
        }
    }

    private static RawMqttClient client(String prefix) {
        return Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId(prefix)));
    }

    private static Mqtt5BlockingClient hiveMqClient(String prefix) {
        return MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId(prefix))
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
    }

    private static void publishNumbered(String topic, int count) {
        publishNumbered(topic, count, Qos.AT_MOST_ONCE);
    }

    private static void publishNumbered(String topic, int count, Qos qos) {
        for (int i = 0; i < count; i++) {
            BROKER.broker().publish(Message.builder(topic).payload("m" + i).qos(qos).build());
        }
    }

    private static void drain(Mqtt5BlockingClient.Mqtt5Publishes inbox, List<String> into) throws InterruptedException {
        for (Optional<Mqtt5Publish> next = inbox.receive(10, TimeUnit.MILLISECONDS); next.isPresent();
                next = inbox.receive(10, TimeUnit.MILLISECONDS)) {
            into.add(new String(next.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
        }
    }
}
