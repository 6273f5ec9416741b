package io.petrel.broker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.BrokerException;
import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterQuery;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.UnprocessableMessageException;
import io.petrel.broker.testing.BrokerExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker built with {@link PetrelBroker.Builder#persistence}, closed and built again on the same
 * data directory, as an embedding application restarts it. The journals come from the
 * {@code petrel-persistence} jar on the test class path.
 */
class BrokerPersistenceTest {

    @TempDir
    Path dataDirectory;

    @Test
    void retainedMessagesSurviveRestart() throws InterruptedException {
        try (PetrelBroker broker = start()) {
            publish(broker, Message.builder("home/light").payload("on").qos(Qos.AT_LEAST_ONCE).retain(true).build());
            publish(broker, Message.builder("home/door").payload("open").qos(Qos.AT_LEAST_ONCE).retain(true).build());
            publish(broker, Message.builder("home/door").qos(Qos.AT_LEAST_ONCE).retain(true).build());
        }

        try (PetrelBroker broker = start()) {
            BlockingQueue<Message> received = new LinkedBlockingQueue<>();
            broker.subscribe("home/#", received::add);
            Message light = received.poll(5, TimeUnit.SECONDS);

            assertEquals("home/light", light == null ? null : light.topic());
            assertEquals("on", light.payloadAsString());
            assertTrue(light.retain(), "retain flag of a message loaded from the journal");
            assertEquals(1, broker.status().retainedMessages());
        }
    }

    @Test
    void purgedDeadLettersStayPurgedAfterRestart() {
        try (PetrelBroker broker = start()) {
            broker.subscribe("orders/#", message -> {
                throw new UnprocessableMessageException("bad order " + message.payloadAsString());
            });
            for (int i = 0; i < 3; i++) {
                publish(broker, Message.builder("orders/" + i).payload("o" + i).build());
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 3);
            assertEquals(1, broker.deadLetters().purge(DeadLetterQuery.builder().topicFilter("orders/1").build()));
        }

        try (PetrelBroker broker = start()) {
            List<DeadLetter> letters = broker.deadLetters().list(DeadLetterQuery.all(), 10).letters();

            assertEquals(List.of("orders/0", "orders/2"), letters.stream().map(letter -> letter.message().topic()).toList());
            assertEquals("o2", letters.get(1).message().payloadAsString());
            assertEquals(DeadLetter.Reason.UNPROCESSABLE, letters.get(1).reason());
        }
    }

    @Test
    void secondBrokerOnSameDirectoryRejected() {
        try (PetrelBroker first = start()) {
            BrokerException failure = assertThrows(BrokerException.class,
                    () -> PetrelBroker.builder().persistence(dataDirectory));

            assertTrue(failure.getMessage().contains(dataDirectory.toAbsolutePath().toString()), failure.getMessage());
            assertTrue(first.status().running(), "first broker still running");
        }
    }

    private PetrelBroker start() {
        PetrelBroker broker = PetrelBroker.builder().config(BrokerExtension.testConfig().build())
                .persistence(dataDirectory).build();
        broker.start();
        return broker;
    }

    private static void publish(PetrelBroker broker, Message message) {
        broker.publish(message).toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }
}
