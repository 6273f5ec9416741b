package io.petrel.broker.hooks;

import static io.petrel.broker.hooks.HookTestSupport.connect;
import static io.petrel.broker.hooks.HookTestSupport.connectPacket;
import static io.petrel.broker.hooks.HookTestSupport.counter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.api.hook.BrokerInterceptor;
import io.petrel.api.hook.ConnectEvent;
import io.petrel.api.hook.FallbackPolicy;
import io.petrel.api.hook.InterceptResult;
import io.petrel.api.hook.PublishEvent;
import io.petrel.api.hook.SubscribeEvent;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Interceptors that fail, time out or complete late: fallbacks, fencing and packet order. */
class InterceptorFailureTest {

    private static final int V3 = MqttPackets.MQTT_3_1_1;
    private static final int V5 = MqttPackets.MQTT_5;
    private static final int TIMEOUT_MILLIS = 200;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private PetrelBroker broker;

    @AfterEach
    void closeBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private void startBroker(BrokerInterceptor interceptor) {
        broker = HookTestSupport.start(registry, config -> config.hookTimeoutMillis(TIMEOUT_MILLIS),
                builder -> builder.interceptor(interceptor));
    }

    /**
     * Fails the inbound publishes whose payload names a failure: "stuck" never completes, "throw"
     * throws, "null" returns a null stage, "bad-topic" changes the topic into an invalid one.
     */
    private static final class FailingInbound implements BrokerInterceptor {

        private final FallbackPolicy fallback;

        FailingInbound(FallbackPolicy fallback) {
            this.fallback = fallback;
        }

        @Override
        public FallbackPolicy fallbackPolicy() {
            return fallback;
        }

        @Override
        public CompletionStage<InterceptResult<PublishEvent>> onPublishInbound(PublishEvent event) {
            return switch (event.message().payloadAsString()) {
                case "stuck" -> new CompletableFuture<>();
                case "throw" -> throw new IllegalStateException("interceptor bug");
                case "null" -> null;
                case "bad-topic" -> CompletableFuture.completedFuture(InterceptResult.proceed(event.withTopic("bad/#")));
                default -> InterceptResult.proceedStage();
            };
        }
    }

    @Test
    void timeoutFallsBackToProceed() {
        startBroker(new FailingInbound(FallbackPolicy.PROCEED));
        try (RawMqttClient client = connect(broker, V5, "slowproceed")) {
            client.subscribe(V5, 0, "slow/#");
            client.send(MqttPackets.publish(V5, "slow/a", "stuck", 1, 5));

            RawPacket ack = client.receive(MqttPackets.PUBACK);
            RawPacket message = client.receive(MqttPackets.PUBLISH);

            assertEquals(0x00, ack.reasonCode());
            assertEquals("stuck", message.payload(V5));
        }
        assertEquals(1, counter(registry, "petrel.hooks.timeouts", "hook", "interceptor"));
    }

    @Test
    void timeoutFallsBackToReject() {
        startBroker(new FailingInbound(FallbackPolicy.REJECT));
        try (RawMqttClient client = connect(broker, V5, "slowreject")) {
            client.send(MqttPackets.publish(V5, "slow/a", "stuck", 1, 6));

            assertEquals(0x80, client.receive(MqttPackets.PUBACK).reasonCode());
        }
        assertEquals(1, counter(registry, "petrel.hooks.timeouts", "hook", "interceptor"));
    }

    @ParameterizedTest
    @CsvSource({"throw, PROCEED, 16", "throw, REJECT, 128", "null, PROCEED, 16", "null, REJECT, 128",
        "bad-topic, PROCEED, 16", "bad-topic, REJECT, 128"})
    void failingInterceptorFallsBackAndIsCounted(String failure, FallbackPolicy fallback, int expectedCode) {
        startBroker(new FailingInbound(fallback));
        try (RawMqttClient client = connect(broker, V5, "failing")) {
            client.send(MqttPackets.publish(V5, "fail/a", failure, 1, 7));
            RawPacket failed = client.receive(MqttPackets.PUBACK);
            client.send(MqttPackets.publish(V5, "fail/b", "fine", 1, 8));
            RawPacket later = client.receive(MqttPackets.PUBACK);

            // 0x10: accepted, no subscriber matched.
            assertEquals(expectedCode, failed.reasonCode());
            assertEquals(0x10, later.reasonCode());
        }
        assertEquals(1, counter(registry, "petrel.hooks.errors", "hook", "interceptor"));
    }

    @Test
    void invalidTopicChangeLeavesMessageUnchanged() {
        startBroker(new FailingInbound(FallbackPolicy.PROCEED));
        try (RawMqttClient client = connect(broker, V3, "badtopic")) {
            client.subscribe(V3, 0, "kept/#");
            client.send(MqttPackets.publish(V3, "kept/a", "bad-topic", 0, 0));

            assertEquals("kept/a", client.receive(MqttPackets.PUBLISH).topic());
        }
    }

    @ParameterizedTest
    @CsvSource({"4, 3", "5, 128"})
    void connectTimeoutWithRejectFallback(int level, int expectedCode) {
        startBroker(new BrokerInterceptor() {
            @Override
            public FallbackPolicy fallbackPolicy() {
                return FallbackPolicy.REJECT;
            }

            @Override
            public CompletionStage<InterceptResult<ConnectEvent>> onConnect(ConnectEvent event) {
                return new CompletableFuture<>();
            }
        });
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectPacket(level, "neverconnects").toBytes());

            assertEquals(expectedCode, client.receive().connackCode());
        }
    }

    @Test
    void subscribeTimeoutWithRejectFallback() {
        startBroker(new BrokerInterceptor() {
            @Override
            public FallbackPolicy fallbackPolicy() {
                return FallbackPolicy.REJECT;
            }

            @Override
            public CompletionStage<InterceptResult<SubscribeEvent>> onSubscribe(SubscribeEvent event) {
                return new CompletableFuture<>();
            }
        });
        try (RawMqttClient client = connect(broker, V5, "subtimeout")) {
            assertEquals(List.of(0x80), client.subscribe(V5, 1, "any/a").subackCodes(V5));
        }
    }

    @ParameterizedTest
    @EnumSource(FallbackPolicy.class)
    void outboundTimeoutFallsBack(FallbackPolicy fallback) {
        startBroker(new BrokerInterceptor() {
            @Override
            public FallbackPolicy fallbackPolicy() {
                return fallback;
            }

            @Override
            public CompletionStage<InterceptResult<PublishEvent>> onPublishOutbound(PublishEvent event) {
                return event.message().payloadAsString().equals("stuck") ? new CompletableFuture<>()
                        : InterceptResult.proceedStage();
            }
        });
        try (RawMqttClient client = connect(broker, V3, "outtimeout")) {
            client.subscribe(V3, 0, "out/#");
            client.send(MqttPackets.publish(V3, "out/a", "stuck", 0, 0));
            client.send(MqttPackets.publish(V3, "out/b", "after", 0, 0));

            String first = client.receive(MqttPackets.PUBLISH).payload(V3);

            assertEquals(fallback == FallbackPolicy.PROCEED ? "stuck" : "after", first);
        }
    }

    @Test
    void asyncInboundInterceptorKeepsPacketOrder() {
        startBroker(new DelaysFirstMessage(true));
        int count = 10;
        try (RawMqttClient subscriber = connect(broker, V3, "inorder-sub");
             RawMqttClient publisher = connect(broker, V3, "inorder-pub")) {
            subscriber.subscribe(V3, 1, "seq/#");
            for (int i = 0; i < count; i++) {
                publisher.send(MqttPackets.publish(V3, "seq/a", Integer.toString(i), 1, i + 1));
            }

            List<Integer> acknowledged = new ArrayList<>();
            List<String> received = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                acknowledged.add(publisher.receive(MqttPackets.PUBACK).packetId());
                RawPacket message = subscriber.receive(MqttPackets.PUBLISH);
                subscriber.send(MqttPackets.puback(message.publishPacketId()));
                received.add(message.payload(V3));
            }

            assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), acknowledged);
            assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), received);
        }
    }

    @Test
    void asyncOutboundInterceptorKeepsDeliveryOrder() {
        startBroker(new DelaysFirstMessage(false));
        int count = 10;
        try (RawMqttClient subscriber = connect(broker, V3, "outorder-sub");
             RawMqttClient publisher = connect(broker, V3, "outorder-pub")) {
            subscriber.subscribe(V3, 0, "seq/#");
            for (int i = 0; i < count; i++) {
                publisher.send(MqttPackets.publish(V3, "seq/b", Integer.toString(i), 0, 0));
            }

            List<String> received = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                received.add(subscriber.receive(MqttPackets.PUBLISH).payload(V3));
            }

            assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), received);
        }
    }

    @Test
    void nullFallbackPolicyRejectedWhenBuilt() {
        BrokerInterceptor broken = new BrokerInterceptor() {
            @Override
            public FallbackPolicy fallbackPolicy() {
                return null;
            }
        };

        assertThrows(IllegalArgumentException.class, () -> PetrelBroker.builder().interceptor(broken).build());
    }

    /** Completes the stage for payload "0" 100 ms later on another thread, and the others at once. */
    private static final class DelaysFirstMessage implements BrokerInterceptor {

        private final boolean inbound;

        DelaysFirstMessage(boolean inbound) {
            this.inbound = inbound;
        }

        @Override
        public CompletionStage<InterceptResult<PublishEvent>> onPublishInbound(PublishEvent event) {
            return inbound ? answer(event) : InterceptResult.proceedStage();
        }

        @Override
        public CompletionStage<InterceptResult<PublishEvent>> onPublishOutbound(PublishEvent event) {
            return inbound ? InterceptResult.proceedStage() : answer(event);
        }

        private static CompletionStage<InterceptResult<PublishEvent>> answer(PublishEvent event) {
            if (!event.message().payloadAsString().equals("0")) {
                return InterceptResult.proceedStage();
            }
            return CompletableFuture.supplyAsync(InterceptResult::proceed,
                    CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS));
        }
    }
}
