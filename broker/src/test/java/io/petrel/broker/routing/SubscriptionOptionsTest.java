package io.petrel.broker.routing;

import static io.petrel.broker.testing.Mqtt5Packets.NO_LOCAL;
import static io.petrel.broker.testing.Mqtt5Packets.RETAIN_AS_PUBLISHED;
import static io.petrel.broker.testing.Mqtt5Packets.RETAIN_HANDLING_IF_NEW;
import static io.petrel.broker.testing.Mqtt5Packets.RETAIN_HANDLING_NEVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import io.petrel.api.Message;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.PahoRecorder;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.TestClients;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The MQTT 5.0 subscription options: No Local, Retain As Published and Retain Handling 0, 1 and 2.
 */
class SubscriptionOptionsTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    @Test
    void noLocalSkipsOwnMessages() {
        String topic = "options/nolocal/" + BROKER.clientId("t");
        try (RawMqttClient client = client("own");
             RawMqttClient other = client("other")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1 | NO_LOCAL);
            // PUBACK follows routing, so the own message, if delivered at all, is queued before the other.
            client.send(Mqtt5Packets.publish(topic, "mine", 1, 7, false, Mqtt5Properties.none()));
            RawPacket puback = client.receive();
            other.send(Mqtt5Packets.publish(topic, "theirs", 0, 0, false, Mqtt5Properties.none()));

            RawPacket received = client.receive(MqttPackets.PUBLISH);

            assertEquals(MqttPackets.PUBACK, puback.type(), "packet after own PUBLISH: " + puback);

            assertEquals("theirs", received.payload(MqttPackets.MQTT_5), "own message delivered with No Local");
        }
    }

    @Test
    void withoutNoLocalOwnMessagesArrive() {
        String topic = "options/local/" + BROKER.clientId("t");
        try (RawMqttClient client = client("echo")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1);
            client.send(Mqtt5Packets.publish(topic, "mine", 0, 0, false, Mqtt5Properties.none()));

            RawPacket received = client.receive(MqttPackets.PUBLISH);

            assertEquals("mine", received.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void noLocalKeepsInProcessMessages() {
        String topic = "options/nolocal-app/" + BROKER.clientId("t");
        try (RawMqttClient client = client("app")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1 | NO_LOCAL);
            BROKER.broker().publish(Message.builder(topic).payload("from the application").build());

            RawPacket received = client.receive(MqttPackets.PUBLISH);

            assertEquals("from the application", received.payload(MqttPackets.MQTT_5));
        }
    }

    @Test
    void retainAsPublishedKeepsRetainFlag() {
        String topic = "options/rap/" + BROKER.clientId("t");
        try (RawMqttClient keeping = client("keep");
             RawMqttClient clearing = client("clear");
             RawMqttClient publisher = client("pub")) {
            Mqtt5Packets.subscribeAndAwait(keeping, 1, Mqtt5Properties.none(), topic, 1 | RETAIN_AS_PUBLISHED);
            Mqtt5Packets.subscribeAndAwait(clearing, 1, Mqtt5Properties.none(), topic, 1);
            publisher.send(Mqtt5Packets.publish(topic, "live", 0, 0, true, Mqtt5Properties.none()));

            RawPacket toKeeping = keeping.receive(MqttPackets.PUBLISH);
            RawPacket toClearing = clearing.receive(MqttPackets.PUBLISH);

            assertTrue(toKeeping.retain(), "retain flag cleared despite Retain As Published");
            assertFalse(toClearing.retain(), "retain flag kept on live forwarding without Retain As Published");
        } finally {
            clearRetained(topic);
        }
    }

    @Test
    void retainAsPublishedLeavesUnretainedMessages() {
        String topic = "options/rap-plain/" + BROKER.clientId("t");
        try (RawMqttClient keeping = client("keep")) {
            Mqtt5Packets.subscribeAndAwait(keeping, 1, Mqtt5Properties.none(), topic, 1 | RETAIN_AS_PUBLISHED);
            BROKER.broker().publish(Message.builder(topic).payload("plain").build());

            assertFalse(keeping.receive(MqttPackets.PUBLISH).retain());
        }
    }

    @Test
    void retainedMessageOnSubscribeHasRetainFlag() {
        String topic = "options/rh0-flag/" + BROKER.clientId("t");
        retain(topic, "stored");
        try (RawMqttClient client = client("flag")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1);

            RawPacket retained = client.receive(MqttPackets.PUBLISH);

            assertTrue(retained.retain(), "retained message sent on subscribe without retain flag");
        } finally {
            clearRetained(topic);
        }
    }

    @Test
    void retainHandling0SendsOnEverySubscribe() {
        String topic = "options/rh0/" + BROKER.clientId("t");
        retain(topic, "stored");
        try (RawMqttClient client = client("rh0")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1);
            RawPacket first = client.receive(MqttPackets.PUBLISH);
            Mqtt5Packets.subscribeAndAwait(client, 2, Mqtt5Properties.none(), topic, 1);

            RawPacket second = client.receive(MqttPackets.PUBLISH);

            assertEquals("stored", first.payload(MqttPackets.MQTT_5));
            assertEquals("stored", second.payload(MqttPackets.MQTT_5));
        } finally {
            clearRetained(topic);
        }
    }

    @Test
    void retainHandling1SendsOnlyForNewSubscription() {
        String topic = "options/rh1/" + BROKER.clientId("t");
        retain(topic, "stored");
        try (RawMqttClient client = client("rh1")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1 | RETAIN_HANDLING_IF_NEW);
            RawPacket first = client.receive(MqttPackets.PUBLISH);
            Mqtt5Packets.subscribeAndAwait(client, 2, Mqtt5Properties.none(), topic, 1 | RETAIN_HANDLING_IF_NEW);

            assertEquals("stored", first.payload(MqttPackets.MQTT_5));
            assertTrue(client.ping(), "retained message sent again for an existing subscription");
        } finally {
            clearRetained(topic);
        }
    }

    @Test
    void retainHandling1SendsAfterUnsubscribe() {
        String topic = "options/rh1-again/" + BROKER.clientId("t");
        retain(topic, "stored");
        try (RawMqttClient client = client("rh1u")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1 | RETAIN_HANDLING_IF_NEW);
            client.receive(MqttPackets.PUBLISH);
            client.send(Mqtt5Packets.unsubscribe(2, topic));
            client.receive(MqttPackets.UNSUBACK);
            Mqtt5Packets.subscribeAndAwait(client, 3, Mqtt5Properties.none(), topic, 1 | RETAIN_HANDLING_IF_NEW);

            RawPacket again = client.receive(MqttPackets.PUBLISH);

            assertEquals("stored", again.payload(MqttPackets.MQTT_5));
        } finally {
            clearRetained(topic);
        }
    }

    @Test
    void retainHandling2NeverSends() {
        String topic = "options/rh2/" + BROKER.clientId("t");
        retain(topic, "stored");
        try (RawMqttClient client = client("rh2")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic, 1 | RETAIN_HANDLING_NEVER);

            assertTrue(client.ping(), "retained message sent with Retain Handling 2");

            BROKER.broker().publish(Message.builder(topic).payload("live").build());
            assertEquals("live", client.receive(MqttPackets.PUBLISH).payload(MqttPackets.MQTT_5));
        } finally {
            clearRetained(topic);
        }
    }

    @Test
    void retainHandlingAppliesPerFilter() {
        String topic = "options/rh-wild/" + BROKER.clientId("t");
        retain(topic + "/a", "stored");
        try (RawMqttClient client = client("rhw")) {
            Mqtt5Packets.subscribeAndAwait(client, 1, Mqtt5Properties.none(), topic + "/+", 1 | RETAIN_HANDLING_NEVER);
            Mqtt5Packets.subscribeAndAwait(client, 2, Mqtt5Properties.none(), topic + "/#", 1 | RETAIN_HANDLING_IF_NEW);

            RawPacket retained = client.receive(MqttPackets.PUBLISH);

            assertEquals(topic + "/a", retained.topic());
            assertTrue(client.ping(), "retained message sent for the filter with Retain Handling 2");
        } finally {
            clearRetained(topic + "/a");
        }
    }

    @Test
    void pahoNoLocalSubscription() throws Exception {
        String topic = "options/paho/" + BROKER.clientId("t");
        PahoRecorder recorder = new PahoRecorder();
        org.eclipse.paho.mqttv5.client.MqttClient client = new org.eclipse.paho.mqttv5.client.MqttClient(
                BROKER.serverUri(), BROKER.clientId("paho"), new MemoryPersistence());
        try (RawMqttClient other = client("other")) {
            client.setCallback(recorder);
            client.connect(new MqttConnectionOptions());
            MqttSubscription subscription = new MqttSubscription(topic, 1);
            subscription.setNoLocal(true);
            client.subscribe(new MqttSubscription[] {subscription});
            client.publish(topic, "mine".getBytes(StandardCharsets.UTF_8), 1, false);
            other.send(Mqtt5Packets.publish(topic, "theirs", 1, 1, false, Mqtt5Properties.none()));

            PahoRecorder.Received received = recorder.take();

            assertEquals("theirs", new String(received.message().getPayload(), StandardCharsets.UTF_8));
        } finally {
            TestClients.disconnect(client);
        }
    }

    @Test
    void hiveMqRetainOptions() throws InterruptedException {
        String topic = "options/hive/" + BROKER.clientId("t");
        retain(topic, "stored");
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId("hive"))
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = client.publishes(MqttGlobalPublishFilter.ALL)) {
            client.connect();
            client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE)
                    .retainHandling(Mqtt5RetainHandling.DO_NOT_SEND).retainAsPublished(true).send();
            client.publishWith().topic(topic).payload("live".getBytes(StandardCharsets.UTF_8)).retain(true).send();

            Optional<Mqtt5Publish> received = publishes.receive(5, TimeUnit.SECONDS);

            assertTrue(received.isPresent(), "no message within 5 s");
            assertEquals("live", new String(received.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
            assertTrue(received.get().isRetain(), "retain flag cleared despite Retain As Published");
        } finally {
            TestClients.disconnect(client);
            clearRetained(topic);
        }
    }

    private static RawMqttClient client(String prefix) {
        return Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId(prefix)));
    }

    private static void retain(String topic, String payload) {
        BROKER.broker().publish(Message.builder(topic).payload(payload).retain(true).build());
    }

    private static void clearRetained(String topic) {
        BROKER.broker().publish(Message.builder(topic).retain(true).build());
    }
}
