package io.petrel.broker.hooks;

import static io.petrel.broker.hooks.HookTestSupport.connect;
import static io.petrel.broker.hooks.HookTestSupport.connectPacket;
import static io.petrel.broker.hooks.HookTestSupport.counter;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.api.Qos;
import io.petrel.api.UserProperty;
import io.petrel.api.hook.BrokerInterceptor;
import io.petrel.api.hook.ConnAckEvent;
import io.petrel.api.hook.ConnectEvent;
import io.petrel.api.hook.DisconnectEvent;
import io.petrel.api.hook.InterceptResult;
import io.petrel.api.hook.PublishEvent;
import io.petrel.api.hook.ReasonCode;
import io.petrel.api.hook.SubscribeEvent;
import io.petrel.api.hook.UnsubscribeEvent;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Interceptors on network traffic: changes, rejections and the observed events. */
class InterceptorTest {

    private static final int V3 = MqttPackets.MQTT_3_1_1;
    private static final int V5 = MqttPackets.MQTT_5;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private PetrelBroker broker;

    @AfterEach
    void closeBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private void startBroker(BrokerInterceptor... interceptors) {
        broker = HookTestSupport.start(registry, builder -> {
            for (BrokerInterceptor interceptor : interceptors) {
                builder.interceptor(interceptor);
            }
            return builder;
        });
    }

    /** Rewrites messages on {@code original/...} to {@code changed/...}, upper-cases the payload and replaces the user properties. */
    private static final class Rewriter implements BrokerInterceptor {

        @Override
        public CompletionStage<InterceptResult<PublishEvent>> onPublishInbound(PublishEvent event) {
            String topic = event.message().topic();
            if (!topic.startsWith("original/")) {
                return InterceptResult.proceedStage();
            }
            PublishEvent changed = event.withTopic("changed/" + topic.substring("original/".length()))
                    .withPayload(event.message().payloadAsString().toUpperCase())
                    .withUserProperties(List.of(new UserProperty("checked-by", event.client().clientId())));
            return CompletableFuture.completedFuture(InterceptResult.proceed(changed));
        }
    }

    /** Rejects publishes under {@code quota/} with QUOTA_EXCEEDED and under {@code banned/} with BANNED. */
    private static final class PublishRejecter implements BrokerInterceptor {

        @Override
        public CompletionStage<InterceptResult<PublishEvent>> onPublishInbound(PublishEvent event) {
            String topic = event.message().topic();
            if (topic.startsWith("quota/")) {
                return CompletableFuture.completedFuture(InterceptResult.reject(ReasonCode.QUOTA_EXCEEDED, "too many"));
            }
            if (topic.startsWith("banned/")) {
                return CompletableFuture.completedFuture(InterceptResult.reject(ReasonCode.BANNED, "not for PUBACK"));
            }
            return InterceptResult.proceedStage();
        }
    }

    @Test
    void inboundChangesTopicPayloadProperties() throws InterruptedException {
        startBroker(new Rewriter());
        Mqtt5BlockingClient subscriber = hiveMq("rewritesub");
        Mqtt5BlockingClient publisher = hiveMq("rewritepub");
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            subscriber.subscribeWith().topicFilter("changed/#").qos(MqttQos.AT_LEAST_ONCE).send();
            publisher.publishWith().topic("original/a").payload("hello".getBytes(StandardCharsets.UTF_8))
                    .userProperties(Mqtt5UserProperties.builder().add("from", "client").build())
                    .qos(MqttQos.AT_LEAST_ONCE).send();

            Mqtt5Publish received = publishes.receive(5, TimeUnit.SECONDS)
                    .orElseThrow(() -> new AssertionError("no message within 5 s"));

            assertEquals("changed/a", received.getTopic().toString());
            assertEquals("HELLO", new String(received.getPayloadAsBytes(), StandardCharsets.UTF_8));
            assertEquals(List.of("checked-by=rewritepub"), received.getUserProperties().asList().stream()
                    .map(property -> property.getName() + "=" + property.getValue()).toList());
        } finally {
            subscriber.disconnect();
            publisher.disconnect();
        }
    }

    @ParameterizedTest
    @CsvSource({"quota/a, 1, 4, 151", "quota/a, 2, 5, 151", "banned/a, 1, 4, 128"})
    void inboundRejectionGetsReasonCodeInMqtt5(String topic, int qos, int acknowledgementType, int expectedCode) {
        startBroker(new PublishRejecter());
        try (RawMqttClient publisher = connect(broker, V5, "rejected5")) {
            publisher.send(MqttPackets.publish(V5, topic, "x", qos, 21));

            RawPacket ack = publisher.receive();

            assertEquals(acknowledgementType, ack.type());
            assertEquals(expectedCode, ack.reasonCode());
        }
        assertEquals(1, counter(registry, "petrel.hooks.rejections", "event", "publish_inbound"));
    }

    @Test
    void inboundRejectionAcknowledgedAndDroppedInMqtt311() {
        startBroker(new PublishRejecter());
        try (RawMqttClient subscriber = connect(broker, V3, "dropsub");
             RawMqttClient publisher = connect(broker, V3, "droppub")) {
            subscriber.subscribe(V3, 1, "quota/#", "fine/#");

            publisher.send(MqttPackets.publish(V3, "quota/a", "dropped", 1, 22));
            RawPacket ack = publisher.receive();
            publisher.send(MqttPackets.publish(V3, "fine/a", "kept", 0, 0));

            assertEquals(MqttPackets.PUBACK, ack.type());
            assertEquals("fine/a", subscriber.receive(MqttPackets.PUBLISH).topic());
        }
    }

    @ParameterizedTest
    @CsvSource({"4, 5", "5, 138"})
    void connectRejectedWithInterceptorCode(int level, int expectedCode) {
        List<ConnectEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        startBroker(new BrokerInterceptor() {
            @Override
            public CompletionStage<InterceptResult<ConnectEvent>> onConnect(ConnectEvent event) {
                seen.add(event);
                return CompletableFuture.completedFuture(event.client().clientId().startsWith("banned")
                        ? InterceptResult.reject(ReasonCode.BANNED, "banned client")
                        : InterceptResult.proceed());
            }
        });
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectPacket(level, "banned-" + level).keepAliveSeconds(30).toBytes());

            RawPacket connack = client.receive();

            assertEquals(expectedCode, connack.connackCode());
        }
        assertEquals(30, seen.get(0).keepAliveSeconds());
        assertTrue(connect(broker, level, "welcome").connack().isSuccessfulConnack(), "other clients connect");
    }

    @ParameterizedTest
    @CsvSource({"4, 128", "5, 151"})
    void subscribeRejectedWithInterceptorCode(int level, int expectedCode) {
        startBroker(new BrokerInterceptor() {
            @Override
            public CompletionStage<InterceptResult<SubscribeEvent>> onSubscribe(SubscribeEvent event) {
                if (event.filter().startsWith("limited/")) {
                    return CompletableFuture.completedFuture(InterceptResult.reject(ReasonCode.QUOTA_EXCEEDED, "full"));
                }
                return InterceptResult.proceedStage();
            }
        });
        try (RawMqttClient client = connect(broker, level, "subreject")) {
            RawPacket suback = client.subscribe(level, 1, "limited/a", "free/a");

            assertEquals(List.of(expectedCode, 1), suback.subackCodes(level));
        }
    }

    @Test
    void subscribeInterceptorChangesFilterAndQos() {
        startBroker(new BrokerInterceptor() {
            @Override
            public CompletionStage<InterceptResult<SubscribeEvent>> onSubscribe(SubscribeEvent event) {
                SubscribeEvent changed = event.withFilter("tenant/" + event.client().clientId() + "/" + event.filter())
                        .withQos(Qos.AT_MOST_ONCE);
                return CompletableFuture.completedFuture(InterceptResult.proceed(changed));
            }
        });
        try (RawMqttClient client = connect(broker, V5, "mounted")) {
            RawPacket suback = client.subscribe(V5, 2, "news");
            client.send(MqttPackets.publish(V5, "tenant/mounted/news", "scoped", 0, 0));

            RawPacket message = client.receive(MqttPackets.PUBLISH);

            assertEquals(List.of(0), suback.subackCodes(V5));
            assertEquals("tenant/mounted/news", message.topic());
        }
    }

    @Test
    void outboundInterceptorRejectsOneSubscriber() {
        startBroker(new BrokerInterceptor() {
            @Override
            public CompletionStage<InterceptResult<PublishEvent>> onPublishOutbound(PublishEvent event) {
                boolean blocked = event.client().clientId().startsWith("blocked")
                        && event.message().topic().equals("feed/a");
                return CompletableFuture.completedFuture(blocked
                        ? InterceptResult.reject(ReasonCode.NOT_AUTHORIZED, "blocked")
                        : InterceptResult.proceed(event.withPayload("for " + event.client().clientId())));
            }
        });
        try (RawMqttClient open = connect(broker, V3, "open-sub");
             RawMqttClient blocked = connect(broker, V3, "blocked-sub");
             RawMqttClient publisher = connect(broker, V3, "feeder")) {
            open.subscribe(V3, 0, "feed/#");
            blocked.subscribe(V3, 0, "feed/#");

            publisher.send(MqttPackets.publish(V3, "feed/a", "news", 0, 0));
            publisher.send(MqttPackets.publish(V3, "feed/b", "more", 0, 0));

            assertEquals("for open-sub", open.receive(MqttPackets.PUBLISH).payload(V3));
            assertEquals("feed/b", blocked.receive(MqttPackets.PUBLISH).topic());
        }
        assertEquals(1, counter(registry, "petrel.messages.dropped", "reason", "rejected_by_interceptor"));
    }

    @Test
    void interceptorsRunInRegistrationOrder() {
        startBroker(new Suffix("-1"), new Suffix("-2"));
        try (RawMqttClient client = connect(broker, V3, "ordered")) {
            client.subscribe(V3, 0, "order/#");
            client.send(MqttPackets.publish(V3, "order/a", "x", 0, 0));

            assertEquals("x-1-2", client.receive(MqttPackets.PUBLISH).payload(V3));
        }
    }

    @Test
    void rejectionEndsTheChain() {
        Suffix later = new Suffix("-later");
        startBroker(new PublishRejecter(), later);
        try (RawMqttClient client = connect(broker, V5, "chainend")) {
            client.send(MqttPackets.publish(V5, "quota/a", "x", 1, 3));

            assertEquals(0x97, client.receive(MqttPackets.PUBACK).reasonCode());
        }
        assertEquals(0, later.calls.size());
    }

    @Test
    void connAckDisconnectAndUnsubscribeObserved() {
        Queue<Object> events = new ConcurrentLinkedQueue<>();
        startBroker(new BrokerInterceptor() {
            @Override
            public void onConnAck(ConnAckEvent event) {
                events.add(event);
            }

            @Override
            public void onDisconnect(DisconnectEvent event) {
                events.add(event);
            }

            @Override
            public void onUnsubscribe(UnsubscribeEvent event) {
                events.add(event);
            }
        });
        try (RawMqttClient client = connect(broker, V5, "observed")) {
            client.subscribe(V5, 0, "watch/a");
            client.send(MqttPackets.unsubscribe(V5, 2, "watch/a"));
            client.receive(MqttPackets.UNSUBACK);
            client.send(MqttPackets.disconnect());
        }
        await().atMost(Duration.ofSeconds(3)).until(() -> events.size() == 3);

        ConnAckEvent connAck = (ConnAckEvent) events.poll();
        UnsubscribeEvent unsubscribe = (UnsubscribeEvent) events.poll();
        DisconnectEvent disconnect = (DisconnectEvent) events.poll();
        assertTrue(connAck.accepted(), "CONNACK accepted");
        assertEquals("watch/a", unsubscribe.filter());
        assertEquals(DisconnectEvent.Cause.CLIENT_DISCONNECT, disconnect.cause());
        assertEquals("observed", disconnect.client().clientId());
    }

    /** Appends a suffix to every inbound payload and records each call. */
    private static final class Suffix implements BrokerInterceptor {

        private final String suffix;
        private final Queue<String> calls = new ConcurrentLinkedQueue<>();

        Suffix(String suffix) {
            this.suffix = suffix;
        }

        @Override
        public CompletionStage<InterceptResult<PublishEvent>> onPublishInbound(PublishEvent event) {
            calls.add(event.message().topic());
            return CompletableFuture.completedFuture(
                    InterceptResult.proceed(event.withPayload(event.message().payloadAsString() + suffix)));
        }
    }

    private Mqtt5BlockingClient hiveMq(String clientId) {
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(clientId)
                .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
        client.connect();
        return client;
    }
}
