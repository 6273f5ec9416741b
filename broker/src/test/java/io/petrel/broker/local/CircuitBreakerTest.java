package io.petrel.broker.local;

import io.petrel.api.CircuitBreakerPolicy;
import io.petrel.api.CircuitState;
import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterQuery;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.RetryPolicy;
import io.petrel.api.SubscriptionOptions;
import io.petrel.api.SubscriptionStatus;
import io.petrel.broker.PetrelBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CircuitBreakerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration COOL_DOWN = Duration.ofSeconds(30);
    private static final Instant START = Instant.parse("2026-03-01T08:00:00Z");

    private final MutableClock clock = new MutableClock(START);
    private final AtomicBoolean failing = new AtomicBoolean(true);
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<String> handled = new CopyOnWriteArrayList<>();
    private PetrelBroker broker;

    @BeforeEach
    void resetHandler() {
        failing.set(true);
    }

    @AfterEach
    void closeBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private void startBroker(Clock brokerClock) {
        broker = PetrelBroker.builder().port(0).clock(brokerClock).build();
        broker.start();
    }

    /** Subscribes a handler that records every call and throws while {@code failing} is set. */
    private void subscribe(CircuitBreakerPolicy breaker, RetryPolicy retry, int queueCapacity) {
        broker.subscribe("pump/+/speed", m -> {
            calls.add(m.payloadAsString());
            if (failing.get()) {
                throw new IllegalStateException("pump controller timeout");
            }
            handled.add(m.payloadAsString());
        }, SubscriptionOptions.builder()
                .circuitBreaker(breaker)
                .retryPolicy(retry)
                .queueCapacity(queueCapacity)
                .build());
    }

    private static CircuitBreakerPolicy afterThreeFailures() {
        return CircuitBreakerPolicy.builder().consecutiveFailures(3).coolDown(COOL_DOWN).build();
    }

    private CompletableFuture<Void> publish(String payload) {
        return broker.publish(Message.builder("pump/1/speed").payload(payload).qos(Qos.AT_LEAST_ONCE).build())
                .toCompletableFuture();
    }

    private SubscriptionStatus status() {
        return broker.status().localSubscriptions().get(0);
    }

    private double transitions(String state) {
        return broker.meterRegistry().get("petrel.local.circuit.transitions").tag("state", state).counter().count();
    }

    private void openCircuit() {
        for (int i = 1; i <= 3; i++) {
            publish("fail-" + i);
            int expectedCalls = i;
            await().atMost(WAIT).until(() -> calls.size() == expectedCalls);
        }
        await().atMost(WAIT).until(() -> status().circuitState() == CircuitState.OPEN);
    }

    @Test
    void circuitOpensAfterConsecutiveFailures() {
        startBroker(clock);
        subscribe(afterThreeFailures(), RetryPolicy.none(), 100);
        publish("fail-1");
        publish("fail-2");
        await().atMost(WAIT).until(() -> calls.size() == 2);

        assertEquals(CircuitState.CLOSED, status().circuitState());

        publish("fail-3");
        await().atMost(WAIT).until(() -> status().circuitState() == CircuitState.OPEN);
        publish("held");

        await().atMost(WAIT).until(() -> status().queued() == 1);
        assertEquals(List.of("fail-1", "fail-2", "fail-3"), calls);
        assertEquals(1.0, transitions("open"));
        assertEquals(1.0, broker.meterRegistry().get("petrel.local.circuits").tag("state", "open").gauge().value());
    }

    @Test
    void successfulProbeClosesCircuit() {
        startBroker(clock);
        subscribe(afterThreeFailures(), RetryPolicy.none(), 100);
        openCircuit();
        publish("held-1");
        failing.set(false);

        clock.advance(COOL_DOWN.plusSeconds(1));
        publish("held-2");

        await().atMost(WAIT).until(() -> handled.size() == 2);
        assertEquals(List.of("held-1", "held-2"), handled);
        assertEquals(CircuitState.CLOSED, status().circuitState());
        assertEquals(1.0, transitions("half_open"));
        assertEquals(1.0, transitions("closed"));
    }

    @Test
    void noProbeBeforeCoolDownEnds() {
        startBroker(clock);
        subscribe(afterThreeFailures(), RetryPolicy.none(), 100);
        openCircuit();
        failing.set(false);

        clock.advance(COOL_DOWN.minusSeconds(1));
        publish("early");

        assertEquals(CircuitState.OPEN, status().circuitState());
        assertEquals(3, calls.size());
        assertEquals(1, status().queued());
    }

    @Test
    void failedProbeReopensCircuit() {
        startBroker(clock);
        subscribe(afterThreeFailures(), RetryPolicy.none(), 100);
        openCircuit();

        clock.advance(COOL_DOWN.plusSeconds(1));
        publish("probe");
        await().atMost(WAIT).until(() -> calls.size() == 4);
        await().atMost(WAIT).until(() -> transitions("open") == 2.0);

        assertEquals(CircuitState.OPEN, status().circuitState());
        assertEquals(1.0, transitions("half_open"));
        assertEquals(4, broker.deadLetters().count(DeadLetterQuery.all()));

        failing.set(false);
        publish("held");
        assertEquals(4, calls.size(), "the new cool-down started with the failed probe");
        clock.advance(COOL_DOWN.plusSeconds(1));
        publish("after");
        await().atMost(WAIT).until(() -> handled.size() == 2);
        assertEquals(List.of("held", "after"), handled);
        assertEquals(CircuitState.CLOSED, status().circuitState());
    }

    @Test
    void circuitOpensWhenFailureRateReachesThreshold() {
        startBroker(clock);
        CircuitBreakerPolicy rate = CircuitBreakerPolicy.builder()
                .consecutiveFailures(0)
                .failureRate(0.5, 10, 4)
                .coolDown(COOL_DOWN)
                .build();
        broker.subscribe("pump/+/speed", m -> {
            calls.add(m.payloadAsString());
            if (m.payloadAsString().startsWith("bad")) {
                throw new IllegalStateException("bad reading");
            }
        }, SubscriptionOptions.builder().circuitBreaker(rate).retryPolicy(RetryPolicy.none()).build());

        publish("ok-1");
        publish("bad-1");
        publish("ok-2");
        await().atMost(WAIT).until(() -> calls.size() == 3);
        assertEquals(CircuitState.CLOSED, status().circuitState(), "1 of 3 failed, below the minimum calls");

        publish("bad-2");
        await().atMost(WAIT).until(() -> status().circuitState() == CircuitState.OPEN);
        assertEquals(4, calls.size());
    }

    @Test
    void failureRateBelowThresholdKeepsCircuitClosed() {
        startBroker(clock);
        CircuitBreakerPolicy rate = CircuitBreakerPolicy.builder()
                .consecutiveFailures(0)
                .failureRate(0.7, 5, 5)
                .coolDown(COOL_DOWN)
                .build();
        broker.subscribe("pump/+/speed", m -> {
            calls.add(m.payloadAsString());
            if (m.payloadAsString().startsWith("bad")) {
                throw new IllegalStateException("bad reading");
            }
        }, SubscriptionOptions.builder().circuitBreaker(rate).retryPolicy(RetryPolicy.none()).build());

        for (String payload : List.of("bad-1", "ok-1", "bad-2", "ok-2", "bad-3", "ok-3", "bad-4", "ok-4")) {
            publish(payload);
        }

        await().atMost(WAIT).until(() -> calls.size() == 8);
        assertEquals(CircuitState.CLOSED, status().circuitState());
    }

    @Test
    void openCircuitDeadLettersWhenQueueFull() {
        startBroker(clock);
        subscribe(afterThreeFailures(), RetryPolicy.none(), 2);
        openCircuit();
        publish("held-1");
        publish("held-2");

        CompletableFuture<Void> overflow = publish("overflow");

        assertTrue(overflow.isDone());
        assertFalse(overflow.isCompletedExceptionally());
        DeadLetterQuery pumpLetters = DeadLetterQuery.builder().topicFilter("pump/#").build();
        await().atMost(WAIT).until(() -> broker.deadLetters().count(pumpLetters) == 4);
        DeadLetter letter = broker.deadLetters().list(pumpLetters, 10).letters().get(3);
        assertEquals(DeadLetter.Reason.CIRCUIT_OPEN, letter.reason());
        assertEquals("overflow", letter.message().payloadAsString());
        assertEquals(0, letter.attempts());
        assertEquals(IllegalStateException.class.getName(), letter.exceptionClass());
        assertEquals("pump controller timeout", letter.exceptionMessage());
        assertEquals(START, letter.lastFailure());
        assertEquals(2, status().queued());
    }

    @Test
    void openCircuitAppliesBackpressureWhenConfigured() {
        startBroker(clock);
        CircuitBreakerPolicy holding = CircuitBreakerPolicy.builder()
                .consecutiveFailures(3)
                .coolDown(COOL_DOWN)
                .deadLetterWhenQueueFull(false)
                .build();
        subscribe(holding, RetryPolicy.none(), 2);
        openCircuit();
        publish("held-1");
        publish("held-2");

        CompletableFuture<Void> waiting = publish("waiting");

        assertFalse(waiting.isDone());
        assertEquals(3, broker.deadLetters().count(DeadLetterQuery.all()),
                "only the three failures that opened the circuit are dead letters");
        failing.set(false);
        clock.advance(COOL_DOWN.plusSeconds(1));
        publish("wake-up");
        await().atMost(WAIT).until(waiting::isDone);
        await().atMost(WAIT).until(() -> handled.size() == 4);
        assertEquals(List.of("held-1", "held-2", "waiting", "wake-up"), handled);
    }

    @Test
    void coolDownTimerSendsProbeWithoutNewMessages() {
        startBroker(Clock.systemUTC());
        CircuitBreakerPolicy quick = CircuitBreakerPolicy.builder()
                .consecutiveFailures(3)
                .coolDown(Duration.ofMillis(100))
                .build();
        subscribe(quick, RetryPolicy.none(), 100);
        openCircuit();
        failing.set(false);

        publish("held");

        await().atMost(WAIT).until(() -> status().circuitState() == CircuitState.CLOSED);
        await().atMost(WAIT).until(() -> handled.size() == 1);
        assertEquals(List.of("held"), handled);
    }

    @Test
    void retriedMessageBecomesProbeAndKeepsOrder() {
        startBroker(clock);
        RetryPolicy retry = RetryPolicy.builder().maxAttempts(5).initialDelay(Duration.ofMillis(1)).noJitter().build();
        subscribe(CircuitBreakerPolicy.builder().consecutiveFailures(2).coolDown(COOL_DOWN).build(), retry, 100);
        publish("first");
        await().atMost(WAIT).until(() -> status().circuitState() == CircuitState.OPEN);
        publish("second");
        failing.set(false);

        clock.advance(COOL_DOWN.plusSeconds(1));
        publish("third");

        await().atMost(WAIT).until(() -> handled.size() == 3);
        assertEquals(List.of("first", "second", "third"), handled);
        assertEquals(List.of("first", "first", "first", "second", "third"), calls);
        assertEquals(0, broker.deadLetters().count(DeadLetterQuery.all()));
    }

    @Test
    void statusReportsCounts() {
        startBroker(clock);
        subscribe(CircuitBreakerPolicy.disabled(), RetryPolicy.none(), 100);
        publish("fail");
        await().atMost(WAIT).until(() -> status().deadLettered() == 1);
        failing.set(false);
        publish("ok-1");
        publish("ok-2");

        await().atMost(WAIT).until(() -> status().delivered() == 2);
        SubscriptionStatus status = status();
        assertEquals("pump/+/speed", status.filter());
        assertEquals(CircuitState.CLOSED, status.circuitState());
        assertEquals(1, status.failed());
        assertEquals(1, status.deadLettered());
        assertEquals(0, status.queued());
    }

    @Test
    void disabledBreakerNeverOpens() {
        startBroker(clock);
        subscribe(CircuitBreakerPolicy.disabled(), RetryPolicy.none(), 100);

        for (int i = 0; i < 20; i++) {
            publish("fail-" + i);
        }

        await().atMost(WAIT).until(() -> calls.size() == 20);
        assertEquals(CircuitState.CLOSED, status().circuitState());
    }

    @Test
    void builderRejectsBothTriggersOff() {
        CircuitBreakerPolicy.Builder builder = CircuitBreakerPolicy.builder().consecutiveFailures(0);

        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, builder::build);

        assertTrue(error.getMessage().contains("consecutiveFailures is 0"), error.getMessage());
    }

    @Test
    void builderRejectsMinimumCallsAboveWindow() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> CircuitBreakerPolicy.builder().failureRate(0.5, 10, 11));

        assertTrue(error.getMessage().contains("minimumCalls 11"), error.getMessage());
    }

    @Test
    void builderRejectsThresholdAboveOne() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> CircuitBreakerPolicy.builder().failureRate(50, 10, 5));

        assertTrue(error.getMessage().contains("failureRateThreshold 50"), error.getMessage());
    }

    @Test
    void builderRejectsZeroCoolDown() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> CircuitBreakerPolicy.builder().coolDown(Duration.ZERO));

        assertTrue(error.getMessage().contains("coolDown PT0S"), error.getMessage());
    }
}
