package io.petrel.broker.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.TestClients;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Publishes, over real sockets, of sizes that move the publisher connection's receive-buffer guess
 * up and down: small messages, a 1 MiB payload, then small messages again, all on one topic.
 */
class MixedPayloadSizesTest {

    private static final int LARGE_PAYLOAD_BYTES = 1 << 20;
    private static final int SMALL_MESSAGES_EACH_SIDE = 300;

    // The test configuration's 4 KiB packet limit and 10 queued messages would reject or drop messages here.
    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withConfig(config -> config
            .maxPacketSizeBytes(2 << 20)
            .maxQueuedMessages(2 * SMALL_MESSAGES_EACH_SIDE + 1));

    @Test
    void largeBetweenSmallPublishesArriveInOrder() throws Exception {
        String topic = "sizes/" + BROKER.clientId("t");
        List<byte[]> payloads = payloads();
        Mqtt5BlockingClient subscriber = client("sub").buildBlocking();
        Mqtt5AsyncClient publisher = client("pub").buildAsync();
        try (Mqtt5BlockingClient.Mqtt5Publishes received = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            subscriber.connect();
            subscriber.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            publisher.connect().get(5, TimeUnit.SECONDS);

            List<CompletableFuture<Mqtt5PublishResult>> sent = new ArrayList<>();
            for (byte[] payload : payloads) {
                sent.add(publisher.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send());
            }
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

            for (int i = 0; i < payloads.size(); i++) {
                Optional<Mqtt5Publish> message = received.receive(10, TimeUnit.SECONDS);
                assertTrue(message.isPresent(), "message " + i + " of " + payloads.size() + " not received within 10 s");
                assertArrayEquals(payloads.get(i), message.get().getPayloadAsBytes(), "payload of message " + i);
            }
        } finally {
            TestClients.disconnect(subscriber);
            if (publisher.getState().isConnected()) {
                publisher.disconnect().get(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Returns the small payloads "0" to "299", a 1 MiB payload of random bytes, then "301" to "600". */
    private static List<byte[]> payloads() {
        List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < SMALL_MESSAGES_EACH_SIDE; i++) {
            payloads.add(Integer.toString(i).getBytes(StandardCharsets.US_ASCII));
        }
        byte[] large = new byte[LARGE_PAYLOAD_BYTES];
        new Random(42).nextBytes(large);
        payloads.add(large);
        for (int i = SMALL_MESSAGES_EACH_SIDE + 1; i <= 2 * SMALL_MESSAGES_EACH_SIDE; i++) {
            payloads.add(Integer.toString(i).getBytes(StandardCharsets.US_ASCII));
        }
        return payloads;
    }

    private static Mqtt5ClientBuilder client(String prefix) {
        return MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId(prefix))
                .serverHost("127.0.0.1").serverPort(BROKER.port());
    }
}
