package io.petrel.broker.local;

import io.petrel.api.BrokerException;
import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterPage;
import io.petrel.api.DeadLetterQuery;
import io.petrel.api.DeadLetters;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.RetryPolicy;
import io.petrel.api.SubscriptionOptions;
import io.petrel.api.UnprocessableMessageException;
import io.petrel.api.UserProperty;
import io.petrel.api.store.DeadLetterStore;
import io.petrel.broker.PetrelBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeadLetterTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Instant START = Instant.parse("2026-03-01T08:00:00Z");
    private static final SubscriptionOptions NO_RETRY =
            SubscriptionOptions.builder().retryPolicy(RetryPolicy.none()).build();

    private final MutableClock clock = new MutableClock(START);
    private PetrelBroker broker;

    private PetrelBroker start(PetrelBroker.Builder builder) {
        broker = builder.port(0).clock(clock).build();
        broker.start();
        return broker;
    }

    @AfterEach
    void closeBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static Message message(String topic, String payload) {
        return Message.builder(topic).payload(payload).qos(Qos.AT_LEAST_ONCE).build();
    }

    private DeadLetter onlyLetter() {
        await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 1);
        return broker.deadLetters().list(DeadLetterQuery.all(), 10).letters().get(0);
    }

    /** Subscribes a handler that rejects payloads other than "on" and "off" and records the good ones. */
    private List<String> subscribeLightSwitch(String filter) {
        List<String> switched = new CopyOnWriteArrayList<>();
        broker.subscribe(filter, m -> {
            String payload = m.payloadAsString();
            if (!payload.equals("on") && !payload.equals("off")) {
                throw new UnprocessableMessageException("invalid light state '" + payload + "'");
            }
            switched.add(m.topic() + "=" + payload);
        }, NO_RETRY);
        return switched;
    }

    @Test
    void deadLetterCarriesFailureMetadata() {
        start(PetrelBroker.builder());
        RetryPolicy threeQuickAttempts = RetryPolicy.builder()
                .maxAttempts(3)
                .initialDelay(Duration.ofMillis(1))
                .noJitter()
                .build();
        broker.subscribe("room/+/light", m -> {
            clock.advance(Duration.ofSeconds(5));
            throw new IllegalStateException("light controller unreachable");
        }, SubscriptionOptions.builder().retryPolicy(threeQuickAttempts).build());
        Message published = Message.builder("room/kitchen/light")
                .payload("on")
                .qos(Qos.EXACTLY_ONCE)
                .contentType("text/plain")
                .userProperty("source", "wall-switch")
                .build();

        broker.publish(published);

        DeadLetter letter = onlyLetter();
        assertFalse(letter.id().isBlank());
        assertEquals("room/+/light", letter.subscriptionFilter());
        assertEquals(DeadLetter.Reason.ATTEMPTS_EXHAUSTED, letter.reason());
        assertEquals(3, letter.attempts());
        assertEquals(START.plusSeconds(5), letter.firstFailure());
        assertEquals(START.plusSeconds(15), letter.lastFailure());
        assertEquals(IllegalStateException.class.getName(), letter.exceptionClass());
        assertEquals("light controller unreachable", letter.exceptionMessage());
        assertEquals("room/kitchen/light", letter.message().topic());
        assertEquals("on", letter.message().payloadAsString());
        assertEquals(Qos.EXACTLY_ONCE, letter.message().qos());
        assertEquals("text/plain", letter.message().contentType().orElseThrow());
        assertEquals(List.of(new UserProperty("source", "wall-switch")), letter.message().userProperties());
        assertEquals(1.0, broker.meterRegistry().get("petrel.local.dead_letters.stored")
                .tag("reason", "attempts_exhausted").counter().count());
    }

    @Test
    void deadLetterNotCountedAsDelivered() {
        start(PetrelBroker.builder());
        subscribeLightSwitch("room/+/light");

        broker.publish(message("room/hall/light", "dim"));

        onlyLetter();
        assertEquals(0, broker.status().localSubscriptions().get(0).delivered());
        assertEquals(1, broker.status().localSubscriptions().get(0).deadLettered());
        assertEquals(1, broker.status().localSubscriptions().get(0).failed());
    }

    @Test
    void replayToOriginalTopicRemovesLetter() {
        start(PetrelBroker.builder());
        AtomicBoolean controllerUp = new AtomicBoolean(false);
        List<String> switched = new CopyOnWriteArrayList<>();
        broker.subscribe("room/+/light", m -> {
            if (!controllerUp.get()) {
                throw new IllegalStateException("controller down");
            }
            switched.add(m.payloadAsString());
        }, NO_RETRY);
        broker.publish(message("room/kitchen/light", "on"));
        DeadLetter letter = onlyLetter();
        controllerUp.set(true);

        boolean replayed = broker.deadLetters().replay(letter.id()).toCompletableFuture().join();

        assertTrue(replayed);
        await().atMost(WAIT).until(() -> switched.size() == 1);
        assertEquals(List.of("on"), switched);
        assertTrue(broker.deadLetters().get(letter.id()).isEmpty());
        assertEquals(0, broker.deadLetters().count(DeadLetterQuery.all()));
    }

    @Test
    void replayToAnotherTopicPublishesThere() {
        start(PetrelBroker.builder());
        subscribeLightSwitch("room/+/light");
        List<Message> audit = new CopyOnWriteArrayList<>();
        broker.subscribe("audit/lights", audit::add);
        broker.publish(message("room/kitchen/light", "blink"));
        DeadLetter letter = onlyLetter();

        boolean replayed = broker.deadLetters().replay(letter.id(), "audit/lights").toCompletableFuture().join();

        assertTrue(replayed);
        await().atMost(WAIT).until(() -> audit.size() == 1);
        assertEquals("blink", audit.get(0).payloadAsString());
        assertEquals(Qos.AT_LEAST_ONCE, audit.get(0).qos());
        assertFalse(audit.get(0).retain());
        assertEquals(0, broker.deadLetters().count(DeadLetterQuery.all()));
    }

    @Test
    void replayKeepsRetainedState() {
        start(PetrelBroker.builder());
        subscribeLightSwitch("room/+/light");
        broker.publish(Message.builder("room/kitchen/light").payload("broken").qos(Qos.AT_LEAST_ONCE).retain(true)
                .build());
        DeadLetter letter = onlyLetter();
        long retainedBefore = broker.status().retainedMessages();

        broker.deadLetters().replay(letter.id(), "audit/lights").toCompletableFuture().join();

        assertEquals(retainedBefore, broker.status().retainedMessages());
    }

    @Test
    void replayOfUnknownIdCompletesWithFalse() {
        start(PetrelBroker.builder());

        boolean replayed = broker.deadLetters().replay("no-such-letter").toCompletableFuture().join();

        assertFalse(replayed);
    }

    @Test
    void replayRejectsInvalidTopic() {
        start(PetrelBroker.builder());

        assertThrows(IllegalArgumentException.class, () -> broker.deadLetters().replay("id", "room/+/light"));
    }

    @Test
    void replayOnClosedBrokerFailsAndKeepsLetter() {
        InMemoryDeadLetterStore store = new InMemoryDeadLetterStore();
        start(PetrelBroker.builder().deadLetterStore(store));
        subscribeLightSwitch("room/+/light");
        broker.publish(message("room/kitchen/light", "blink"));
        DeadLetter letter = onlyLetter();
        DeadLetters deadLetters = broker.deadLetters();
        broker.close();

        CompletionException error = assertThrows(CompletionException.class,
                () -> deadLetters.replay(letter.id()).toCompletableFuture().join());

        assertInstanceOf(BrokerException.class, error.getCause());
        assertTrue(store.get(letter.id()).isPresent());
    }

    @Test
    void replayAllReplaysMatchingLettersInOrder() {
        start(PetrelBroker.builder());
        AtomicBoolean controllerUp = new AtomicBoolean(false);
        List<String> switched = new CopyOnWriteArrayList<>();
        broker.subscribe("room/#", m -> {
            if (!controllerUp.get()) {
                throw new IllegalStateException("controller down");
            }
            switched.add(m.topic() + "=" + m.payloadAsString());
        }, NO_RETRY);
        broker.publish(message("room/kitchen/light", "on"));
        broker.publish(message("room/kitchen/heater", "on"));
        broker.publish(message("room/hall/light", "off"));
        await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 3);
        controllerUp.set(true);
        DeadLetterQuery lights = DeadLetterQuery.builder().topicFilter("room/+/light").build();

        long replayed = broker.deadLetters().replayAll(lights).toCompletableFuture().join();

        assertEquals(2, replayed);
        await().atMost(WAIT).until(() -> switched.size() == 2);
        assertEquals(List.of("room/kitchen/light=on", "room/hall/light=off"), switched);
        assertEquals(1, broker.deadLetters().count(DeadLetterQuery.all()));
        assertEquals("room/kitchen/heater",
                broker.deadLetters().list(DeadLetterQuery.all(), 10).letters().get(0).message().topic());
    }

    @Test
    void replayAllDoesNotReplayLettersItCreates() {
        start(PetrelBroker.builder());
        AtomicInteger calls = new AtomicInteger();
        broker.subscribe("room/+/light", m -> {
            calls.incrementAndGet();
            throw new IllegalStateException("still down");
        }, NO_RETRY);
        broker.publish(message("room/kitchen/light", "on"));
        broker.publish(message("room/hall/light", "on"));
        await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 2);

        long replayed = broker.deadLetters().replayAll(DeadLetterQuery.all()).toCompletableFuture().join();

        assertEquals(2, replayed);
        await().atMost(WAIT).until(() -> calls.get() == 4);
        await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 2);
    }

    @Test
    void replayAllToAnotherTopic() {
        start(PetrelBroker.builder());
        subscribeLightSwitch("room/+/light");
        List<String> audit = new CopyOnWriteArrayList<>();
        broker.subscribe("audit/lights", m -> audit.add(m.payloadAsString()));
        broker.publish(message("room/kitchen/light", "blink"));
        broker.publish(message("room/hall/light", "flash"));
        await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 2);

        long replayed = broker.deadLetters().replayAll(DeadLetterQuery.all(), "audit/lights")
                .toCompletableFuture().join();

        assertEquals(2, replayed);
        await().atMost(WAIT).until(() -> audit.size() == 2);
        assertEquals(List.of("blink", "flash"), audit);
    }

    @Test
    void purgeRemovesOneMatchingOrAll() {
        start(PetrelBroker.builder());
        subscribeLightSwitch("room/#");
        broker.publish(message("room/kitchen/light", "x"));
        broker.publish(message("room/kitchen/heater", "x"));
        broker.publish(message("room/hall/light", "x"));
        broker.publish(message("room/hall/heater", "x"));
        await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 4);
        DeadLetters deadLetters = broker.deadLetters();
        String firstId = deadLetters.list(DeadLetterQuery.all(), 1).letters().get(0).id();

        assertTrue(deadLetters.purge(firstId));
        assertFalse(deadLetters.purge(firstId));
        assertEquals(3, deadLetters.count(DeadLetterQuery.all()));

        long heaters = deadLetters.purge(DeadLetterQuery.builder().topicFilter("room/+/heater").build());
        assertEquals(2, heaters);
        assertEquals(1, deadLetters.count(DeadLetterQuery.all()));

        assertEquals(1, deadLetters.purge(DeadLetterQuery.all()));
        assertEquals(0, deadLetters.count(DeadLetterQuery.all()));
    }

    @Test
    void listPagesWithCursorAndFilters() {
        start(PetrelBroker.builder());
        subscribeLightSwitch("room/#");
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofMinutes(1));
            broker.publish(message("room/r" + i + "/light", "bad-" + i));
            int expected = i + 1;
            await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == expected);
        }
        broker.publish(message("room/r9/heater", "bad-heater"));
        await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 6);
        DeadLetterQuery lights = DeadLetterQuery.builder().topicFilter("room/+/light").build();

        DeadLetterPage first = broker.deadLetters().list(lights, 2);
        DeadLetterPage second = broker.deadLetters().list(lights, first.nextCursor().orElseThrow(), 2);
        DeadLetterPage third = broker.deadLetters().list(lights, second.nextCursor().orElseThrow(), 2);

        assertEquals(List.of("bad-0", "bad-1"), payloads(first));
        assertEquals(List.of("bad-2", "bad-3"), payloads(second));
        assertEquals(List.of("bad-4"), payloads(third));
        assertTrue(third.nextCursor().isEmpty());

        DeadLetterQuery middle = DeadLetterQuery.builder()
                .from(START.plus(Duration.ofMinutes(2)))
                .to(START.plus(Duration.ofMinutes(4)))
                .build();
        assertEquals(List.of("bad-1", "bad-2"), payloads(broker.deadLetters().list(middle, 10)));

        DeadLetterQuery bySubscription = DeadLetterQuery.builder().subscriptionFilter("room/#").build();
        assertEquals(6, broker.deadLetters().count(bySubscription));
        DeadLetterQuery otherSubscription = DeadLetterQuery.builder().subscriptionFilter("room/+/light").build();
        assertEquals(0, broker.deadLetters().count(otherSubscription));
    }

    @Test
    void listRejectsPageSizeOutOfRange() {
        start(PetrelBroker.builder());

        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> broker.deadLetters().list(DeadLetterQuery.all(), DeadLetters.MAX_PAGE_SIZE + 1));

        assertTrue(error.getMessage().contains("limit 1001"), error.getMessage());
    }

    @Test
    void boundedStoreDropsOldestAndCountsIt() {
        start(PetrelBroker.builder().deadLetterStore(new InMemoryDeadLetterStore(2)));
        subscribeLightSwitch("room/+/light");

        for (int i = 0; i < 3; i++) {
            broker.publish(message("room/r" + i + "/light", "bad-" + i));
        }

        await().atMost(WAIT).until(() -> broker.meterRegistry().get("petrel.local.dead_letters.dropped")
                .functionCounter().count() == 1.0);
        assertEquals(List.of("bad-1", "bad-2"), payloads(broker.deadLetters().list(DeadLetterQuery.all(), 10)));
    }

    @Test
    void failingStoreCountsLostMessage() {
        start(PetrelBroker.builder().deadLetterStore(new FailingStore()));
        subscribeLightSwitch("room/+/light");

        broker.publish(message("room/kitchen/light", "bad"));

        await().atMost(WAIT).until(() -> broker.meterRegistry().get("petrel.messages.dropped")
                .tag("reason", "dead_letter_store_failed").counter().count() == 1.0);
        assertEquals(0.0, broker.meterRegistry().get("petrel.local.dead_letters.stored")
                .tag("reason", "unprocessable").counter().count());
    }

    private static List<String> payloads(DeadLetterPage page) {
        return page.letters().stream().map(letter -> letter.message().payloadAsString()).toList();
    }

    /** A store whose disk is full. */
    private static final class FailingStore implements DeadLetterStore {

        @Override
        public CompletionStage<Void> append(DeadLetter letter) {
            return CompletableFuture.failedFuture(new IOException("no space left"));
        }

        @Override
        public DeadLetterPage list(DeadLetterQuery query, String cursor, int limit) {
            return new DeadLetterPage(List.of(), null);
        }

        @Override
        public Optional<DeadLetter> get(String id) {
            return Optional.empty();
        }

        @Override
        public boolean remove(String id) {
            return false;
        }

        @Override
        public long purge(DeadLetterQuery query) {
            return 0;
        }

        @Override
        public long count(DeadLetterQuery query) {
            return 0;
        }
    }
}
