package io.petrel.broker.examples;

import io.petrel.api.Broker;
import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterQuery;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.RetryPolicy;
import io.petrel.api.Subscription;
import io.petrel.api.SubscriptionOptions;
import io.petrel.api.UnprocessableMessageException;
import io.petrel.broker.PetrelBroker;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * An embedded application that switches room lights from MQTT messages on {@code room/+/light}.
 *
 * <p>A payload other than {@code on} or {@code off} can never be handled: the handler throws
 * {@link UnprocessableMessageException} and the message is dead-lettered at once. The garage's light
 * controller starts offline: the handler throws {@link IOException}, the broker retries the message
 * twice with backoff, then dead-letters it. Once the controller is back, the application replays the
 * garage's dead letters and purges the unprocessable one.
 *
 * <p>Run {@link #main}: it listens for MQTT clients on 127.0.0.1:1883 while it runs and prints each
 * step. {@code LightSwitchExampleTest} runs the same steps on an ephemeral port.
 */
public final class LightSwitchExample {

    static final String LIGHTS = "room/+/light";
    static final String GARAGE_LIGHT = "room/garage/light";

    private final Map<String, Boolean> lights = new ConcurrentHashMap<>();
    private final Set<String> offlineRooms = ConcurrentHashMap.newKeySet(1);

    LightSwitchExample() {
        offlineRooms.add("garage");
    }

    /** Subscribes the light switch: at most three attempts per message, 50 ms then 100 ms apart. */
    Subscription subscribe(Broker broker) {
        SubscriptionOptions options = SubscriptionOptions.builder()
                .maxQos(Qos.AT_LEAST_ONCE)
                .retryPolicy(RetryPolicy.builder()
                        .maxAttempts(3)
                        .initialDelay(Duration.ofMillis(50))
                        .multiplier(2.0)
                        .build())
                .build();
        return broker.subscribe(LIGHTS, this::switchLight, options);
    }

    /** The handler: sets a room's light from "on" or "off". */
    private void switchLight(Message message) throws Exception {
        String room = message.topic().split("/")[1];
        String payload = message.payloadAsString();
        boolean on = switch (payload) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new UnprocessableMessageException(
                    "invalid light state '" + payload + "': expected 'on' or 'off'");
        };
        if (offlineRooms.contains(room)) {
            throw new IOException("the light controller of the " + room + " is offline");
        }
        lights.put(room, on);
    }

    /** Publishes four commands, one with a bad payload and one for the offline garage. */
    static void publishCommands(Broker broker) throws Exception {
        List<Message> commands = List.of(
                command("room/kitchen/light", "on"),
                command("room/hall/light", "off"),
                command("room/bedroom/light", "purple"),
                command(GARAGE_LIGHT, "on"));
        for (Message command : commands) {
            // Completes once the subscription's queue took the message; handling happens later.
            broker.publish(command).toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
    }

    private static Message command(String topic, String state) {
        return Message.builder(topic).payload(state).qos(Qos.AT_LEAST_ONCE).build();
    }

    /** Brings the garage's light controller back online. */
    void garageControllerOnline() {
        offlineRooms.remove("garage");
    }

    /** Replays the garage's dead letters to their original topic; returns how many were replayed. */
    static long replayGarage(Broker broker) throws Exception {
        DeadLetterQuery garage = DeadLetterQuery.builder().topicFilter(GARAGE_LIGHT).build();
        return broker.deadLetters().replayAll(garage).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    /** Removes the remaining light commands from the dead-letter store; returns how many were removed. */
    static long purgeLightCommands(Broker broker) {
        return broker.deadLetters().purge(DeadLetterQuery.builder().topicFilter(LIGHTS).build());
    }

    /** Returns the state of each light switched so far, by room. */
    Map<String, Boolean> lights() {
        return Map.copyOf(lights);
    }

    /** Starts a broker on 127.0.0.1:1883, runs the steps and prints what happens. */
    public static void main(String[] args) throws Exception {
        try (PetrelBroker broker = PetrelBroker.builder().build()) {
            broker.start();
            LightSwitchExample example = new LightSwitchExample();
            example.subscribe(broker);

            publishCommands(broker);
            waitUntil(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 2, "two dead letters");
            for (DeadLetter letter : broker.deadLetters().list(DeadLetterQuery.all(), 10).letters()) {
                System.out.printf("dead letter %s: '%s' on %s, %s after %d attempt(s): %s%n", letter.id(),
                        letter.message().payloadAsString(), letter.message().topic(), letter.reason(),
                        letter.attempts(), letter.exceptionMessage());
            }

            example.garageControllerOnline();
            System.out.printf("replayed %d garage command(s)%n", replayGarage(broker));
            System.out.printf("purged %d unprocessable command(s)%n", purgeLightCommands(broker));
            waitUntil(() -> example.lights().containsKey("garage"), "the garage light to switch");
            System.out.printf("lights: %s%n", example.lights());
        }
    }

    /** Polls {@code condition} every 10 ms for up to 5 s; the example has no event to wait on. */
    private static void waitUntil(BooleanSupplier condition, String description) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("timed out after 5 s waiting for " + description);
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }
}
