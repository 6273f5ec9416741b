package io.petrel.broker;

import static io.petrel.broker.testing.MqttPackets.MQTT_5;
import static io.petrel.broker.testing.MqttPackets.PUBACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.FunctionCounter;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.store.StoreOptions;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker with journals under a data directory that reaches its size cap. */
class StoreLimitsBrokerTest {

    private static final long MAX_DATA_BYTES = 256 * 1024;
    private static final int PAYLOAD_BYTES = 8 * 1024;
    private static final int MAX_MESSAGES = 500;
    private static final int QUOTA_EXCEEDED = 0x97;
    /** Reason codes below this report success, such as 0x10 No matching subscribers. */
    private static final int FIRST_FAILURE_REASON = 0x80;

    @TempDir
    Path dataDirectory;

    @Test
    void retainedPublishAboveCapGetsQuotaExceeded() {
        StoreOptions capped = StoreOptions.builder().maxDataBytes(MAX_DATA_BYTES).minFreeBytes(0).build();
        try (PetrelBroker broker = start(capped);
             RawMqttClient publisher = RawMqttClient.connect(broker.port(), ConnectPacket.mqtt5("capped-publisher"));
             RawMqttClient other = RawMqttClient.connect(broker.port(), ConnectPacket.mqtt5("other-client"))) {
            fillUntilRejected(broker);

            publisher.send(MqttPackets.publish(MQTT_5, "capped/retained", "v", 1, 7, false, true));
            RawPacket rejected = publisher.receive();
            other.send(MqttPackets.publish(MQTT_5, "capped/plain", "v", 1, 8));
            RawPacket accepted = other.receive();

            assertEquals(PUBACK, rejected.type());
            assertEquals(QUOTA_EXCEEDED, rejected.reasonCode());
            assertEquals(PUBACK, accepted.type());
            assertTrue(accepted.reasonCode() < FIRST_FAILURE_REASON, "success reason code: " + accepted.reasonCode());
            assertTrue(publisher.ping(), "publisher still connected");
            assertTrue(rejectedWrites(broker) >= 2, "rejected writes counted");
        }

        StoreOptions raised = capped.toBuilder().maxDataBytes(4 * MAX_DATA_BYTES).build();
        try (PetrelBroker broker = start(raised);
             RawMqttClient publisher = RawMqttClient.connect(broker.port(), ConnectPacket.mqtt5("capped-publisher"))) {
            publisher.send(MqttPackets.publish(MQTT_5, "capped/retained", "v", 1, 9, false, true));
            RawPacket ack = publisher.receive();

            assertEquals(PUBACK, ack.type());
            assertTrue(ack.reasonCode() < FIRST_FAILURE_REASON, "success reason code: " + ack.reasonCode());
        }
    }

    /** Publishes large, then one-byte retained messages until each size is rejected. */
    private static void fillUntilRejected(PetrelBroker broker) {
        fillUntilRejected(broker, "large/", new byte[PAYLOAD_BYTES]);
        fillUntilRejected(broker, "small/", new byte[1]);
    }

    private static void fillUntilRejected(PetrelBroker broker, String prefix, byte[] payload) {
        for (int i = 0; i < MAX_MESSAGES; i++) {
            Message message = Message.builder(prefix + i).payload(payload).qos(Qos.AT_LEAST_ONCE).retain(true).build();
            try {
                broker.publish(message).toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
            } catch (CompletionException e) {
                assertTrue(String.valueOf(e.getCause()).contains("persistence.max_size"), e.toString());
                return;
            }
        }
        throw new AssertionError("no retained write rejected after " + MAX_MESSAGES + " messages");
    }

    private static double rejectedWrites(PetrelBroker broker) {
        FunctionCounter counter = broker.meterRegistry().find("petrel.store.writes.rejected").tag("store", "retained")
                .functionCounter();
        return counter == null ? 0 : counter.count();
    }

    private PetrelBroker start(StoreOptions options) {
        PetrelBroker broker = PetrelBroker.builder().config(BrokerExtension.testConfig().build())
                .persistence(dataDirectory, options).build();
        broker.start();
        return broker;
    }
}
