package io.petrel.broker.hooks;

import static io.petrel.broker.hooks.HookTestSupport.connect;
import static io.petrel.broker.hooks.HookTestSupport.connectPacket;
import static io.petrel.broker.hooks.HookTestSupport.counter;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.api.Message;
import io.petrel.api.Subscription;
import io.petrel.api.hook.AuthorizationAction;
import io.petrel.api.hook.AuthorizationDecision;
import io.petrel.api.hook.Authorizer;
import io.petrel.api.hook.ClientInfo;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AuthorizerTest {

    private static final int V3 = MqttPackets.MQTT_3_1_1;
    private static final int V5 = MqttPackets.MQTT_5;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TopicRules rules = new TopicRules();
    private PetrelBroker broker;

    @AfterEach
    void closeBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    /**
     * Denies publishing under {@code deny/}, subscribing under {@code secret/}, receiving under
     * {@code hidden/}, and throws for topics under {@code boom/}; counts its calls.
     */
    private static final class TopicRules implements Authorizer {

        private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

        @Override
        public AuthorizationDecision authorize(ClientInfo client, AuthorizationAction action, String topic) {
            calls.computeIfAbsent(client.clientId() + ' ' + action + ' ' + topic, key -> new AtomicInteger())
                    .incrementAndGet();
            if (topic.startsWith("boom/")) {
                throw new IllegalStateException("rule store unavailable");
            }
            boolean denied = switch (action) {
                case PUBLISH -> topic.startsWith("deny/");
                case SUBSCRIBE -> topic.startsWith("secret/");
                case RECEIVE -> topic.startsWith("hidden/");
            };
            return denied ? AuthorizationDecision.DENY : AuthorizationDecision.ALLOW;
        }

        int calls(String clientId, AuthorizationAction action, String topic) {
            AtomicInteger count = calls.get(clientId + ' ' + action + ' ' + topic);
            return count == null ? 0 : count.get();
        }
    }

    private void startBroker() {
        startBroker(UnaryOperator.identity());
    }

    private void startBroker(UnaryOperator<io.petrel.broker.BrokerConfig.Builder> config) {
        broker = HookTestSupport.start(registry, config, builder -> builder.authorizer(rules));
    }

    @ParameterizedTest
    @CsvSource({"1, 4", "2, 5"})
    void publishDeniedGetsReasonCodeInMqtt5(int qos, int acknowledgementType) {
        startBroker();
        try (RawMqttClient publisher = connect(broker, V5, "pub5")) {
            publisher.send(MqttPackets.publish(V5, "deny/a", "x", qos, 11));

            RawPacket ack = publisher.receive();

            assertEquals(acknowledgementType, ack.type());
            assertEquals(0x87, ack.reasonCode());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void publishDeniedAcknowledgedAndDroppedInMqtt311(int qos) {
        startBroker();
        try (RawMqttClient subscriber = connect(broker, V3, "sub3");
             RawMqttClient publisher = connect(broker, V3, "pub3")) {
            subscriber.subscribe(V3, 0, "deny/#", "open/#");

            publisher.send(MqttPackets.publish(V3, "deny/a", "dropped", qos, 12));
            RawPacket ack = publisher.receive();
            if (qos == 2) {
                publisher.send(MqttPackets.pubrel(12));
                assertEquals(MqttPackets.PUBCOMP, publisher.receive().type());
            }
            publisher.send(MqttPackets.publish(V3, "open/a", "delivered", 0, 0));

            assertEquals(qos == 1 ? MqttPackets.PUBACK : MqttPackets.PUBREC, ack.type());
            assertEquals("open/a", subscriber.receive(MqttPackets.PUBLISH).topic());
        }
        assertEquals(1, counter(registry, "petrel.hooks.authorization.denied", "action", "publish"));
    }

    @ParameterizedTest
    @CsvSource({"4, 128", "5, 135"})
    void subscribeDeniedGetsFailureCode(int level, int deniedCode) {
        startBroker();
        try (RawMqttClient client = connect(broker, level, "subdeny" + level)) {
            RawPacket suback = client.subscribe(level, 1, "secret/a", "open/a");

            assertEquals(List.of(deniedCode, 1), suback.subackCodes(level));
        }
    }

    @Test
    void receiveDeniedSkipsSubscriber() {
        startBroker();
        try (RawMqttClient subscriber = connect(broker, V5, "receiver");
             RawMqttClient publisher = connect(broker, V5, "sender")) {
            subscriber.subscribe(V5, 0, "hidden/#", "open/#");

            publisher.send(MqttPackets.publish(V5, "hidden/a", "secret", 0, 0));
            publisher.send(MqttPackets.publish(V5, "open/a", "public", 0, 0));

            assertEquals("open/a", subscriber.receive(MqttPackets.PUBLISH).topic());
        }
        assertEquals(1, counter(registry, "petrel.messages.dropped", "reason", "not_authorized"));
    }

    @Test
    void retainedMessagesCheckedAsReceive() {
        startBroker();
        broker.publish(Message.builder("hidden/r").payload("secret").retain(true).build());
        broker.publish(Message.builder("open/r").payload("public").retain(true).build());
        try (RawMqttClient subscriber = connect(broker, V5, "retained")) {
            subscriber.subscribe(V5, 0, "+/r");

            RawPacket first = subscriber.receive(MqttPackets.PUBLISH);

            assertEquals("open/r", first.topic());
            assertTrue(subscriber.ping(), "no other PUBLISH precedes the PINGRESP");
        }
    }

    @Test
    void decisionCachedForRepeatedPublishes() {
        startBroker();
        try (RawMqttClient publisher = connect(broker, V5, "cached")) {
            for (int i = 1; i <= 5; i++) {
                publisher.send(MqttPackets.publish(V5, "open/cached", "n" + i, 1, i));
                publisher.receive(MqttPackets.PUBACK);
            }
        }

        assertEquals(1, rules.calls("cached", AuthorizationAction.PUBLISH, "open/cached"));
    }

    @Test
    void cacheDisabledAsksEveryTime() {
        startBroker(config -> config.authorizationCacheSize(0));
        try (RawMqttClient publisher = connect(broker, V5, "uncached")) {
            for (int i = 1; i <= 3; i++) {
                publisher.send(MqttPackets.publish(V5, "open/uncached", "n" + i, 1, i));
                publisher.receive(MqttPackets.PUBACK);
            }
        }

        assertEquals(3, rules.calls("uncached", AuthorizationAction.PUBLISH, "open/uncached"));
    }

    @Test
    void cacheDroppedWhenClientDisconnects() {
        startBroker();
        try (RawMqttClient publisher = connect(broker, V5, "leaving")) {
            publisher.send(MqttPackets.publish(V5, "open/leaving", "x", 1, 1));
            publisher.receive(MqttPackets.PUBACK);
            assertEquals(1.0, cacheSize());
            publisher.send(MqttPackets.disconnect());
        }
        await().atMost(Duration.ofSeconds(3)).until(() -> cacheSize() == 0.0);

        try (RawMqttClient again = connect(broker, V5, "leaving")) {
            again.send(MqttPackets.publish(V5, "open/leaving", "y", 1, 2));
            again.receive(MqttPackets.PUBACK);
        }
        assertEquals(2, rules.calls("leaving", AuthorizationAction.PUBLISH, "open/leaving"));
    }

    @Test
    void willCheckedAsPublishOfItsClient() {
        startBroker();
        try (RawMqttClient subscriber = connect(broker, V3, "willwatch")) {
            subscriber.subscribe(V3, 0, "+/will");
            RawMqttClient denied = RawMqttClient.connect(broker.port(),
                    connectPacket(V3, "willdeny").will("deny/will", "gone", 0, false));
            RawMqttClient allowed = RawMqttClient.connect(broker.port(),
                    connectPacket(V3, "willopen").will("open/will", "gone", 0, false));

            denied.close();
            await().atMost(Duration.ofSeconds(3))
                    .until(() -> rules.calls("willdeny", AuthorizationAction.PUBLISH, "deny/will") == 1);
            allowed.close();

            assertEquals("open/will", subscriber.receive(MqttPackets.PUBLISH).topic());
        }
    }

    @Test
    void throwingAuthorizerDeniesAndIsCounted() {
        startBroker();
        try (RawMqttClient publisher = connect(broker, V5, "thrower")) {
            publisher.send(MqttPackets.publish(V5, "boom/a", "x", 1, 1));
            RawPacket denied = publisher.receive(MqttPackets.PUBACK);
            publisher.send(MqttPackets.publish(V5, "open/after", "y", 1, 2));
            RawPacket allowed = publisher.receive(MqttPackets.PUBACK);

            assertEquals(0x87, denied.reasonCode());
            assertTrue(allowed.reasonCode() < 0x80, "a later publish is accepted, got " + allowed);
        }
        assertEquals(1, counter(registry, "petrel.hooks.errors", "hook", "authorizer"));
    }

    @Test
    void failedDecisionNotCached() {
        startBroker();
        try (RawMqttClient publisher = connect(broker, V5, "retry")) {
            publisher.send(MqttPackets.publish(V5, "boom/b", "x", 1, 1));
            publisher.receive(MqttPackets.PUBACK);
            publisher.send(MqttPackets.publish(V5, "boom/b", "x", 1, 2));
            publisher.receive(MqttPackets.PUBACK);
        }

        assertEquals(2, rules.calls("retry", AuthorizationAction.PUBLISH, "boom/b"));
    }

    @Test
    void inProcessClientNotChecked() throws Exception {
        startBroker();
        BlockingQueue<Message> received = new ArrayBlockingQueue<>(1);
        try (Subscription subscription = broker.subscribe("secret/#", received::add)) {
            broker.publish(Message.builder("secret/deny").payload("trusted").build());

            Message message = received.poll(5, TimeUnit.SECONDS);

            assertEquals("trusted", message == null ? null : message.payloadAsString());
        }
    }

    private double cacheSize() {
        Gauge gauge = registry.find("petrel.hooks.authorization.cache.size").gauge();
        return gauge == null ? -1 : gauge.value();
    }
}
