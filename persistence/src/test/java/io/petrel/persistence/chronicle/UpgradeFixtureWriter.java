package io.petrel.persistence.chronicle;

import io.petrel.api.DeadLetter;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.queue.RollCycles;

/**
 * Writes the journals under {@code src/test/resources/upgrade/} that {@link UpgradeFixtureTest}
 * opens: a retained journal and a dead-letter journal in record format version 1, with the content
 * that {@link UpgradeFixtureTest} expects. The README next to the journals describes how to run it.
 */
final class UpgradeFixtureWriter {

    /** When the fixtures' letters first failed. */
    static final Instant FIRST_FAILURE = Instant.parse("2026-12-04T10:00:00.123456789Z");

    private UpgradeFixtureWriter() {
    }

    /** Writes the journals into the data directory {@code args[0]}, which must not contain journals yet. */
    public static void main(String[] args) {
        Path dataDirectory = Path.of(args[0]);
        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY,
                ChronicleRetainedStore.DEFAULT_COMPACTION_MIN_RECORDS)) {
            join(store.set(Message.builder("plant/1/temperature").payload("21.5").qos(Qos.AT_LEAST_ONCE).retain(true)
                    .build(), 1_764_842_400_000L));
            join(store.set(Message.builder("plant/1/status").payload("starting").retain(true).build(),
                    1_764_842_401_000L));
            join(store.set(Message.builder("plant/2/temperature").payload("19.0").retain(true).build(),
                    1_764_842_402_000L));
            join(store.set(Message.builder("plant/1/status").payload("running").qos(Qos.EXACTLY_ONCE).retain(true)
                    .payloadUtf8(true).contentType("text/plain").responseTopic("plant/1/reply")
                    .correlationData(new byte[] {1, 2, 3}).messageExpiryIntervalSeconds(86_400)
                    .userProperty("unit", "none").build(), 1_764_842_403_000L));
            join(store.clear("plant/2/temperature"));
            join(store.set(Message.builder("plant/3/raw").payload(new byte[] {0, (byte) 0xFF, 0x7F}).retain(true)
                    .build(), 1_764_842_404_000L));
        }
        try (ChronicleDeadLetterStore store = ChronicleDeadLetterStore.open(dataDirectory, RollCycles.FAST_DAILY)) {
            join(store.append(new DeadLetter("letter-1", "orders/#",
                    Message.builder("orders/1").payload("order one").qos(Qos.AT_LEAST_ONCE)
                            .userProperty("tenant", "a").subscriptionIdentifiers(List.of(4)).build(),
                    DeadLetter.Reason.ATTEMPTS_EXHAUSTED, 3, FIRST_FAILURE, FIRST_FAILURE.plusSeconds(7),
                    "java.lang.IllegalStateException", "stock service unavailable")));
            join(store.append(new DeadLetter("letter-2", "orders/#", Message.builder("orders/2").payload("order two")
                    .build(), DeadLetter.Reason.UNPROCESSABLE, 1, FIRST_FAILURE.plusSeconds(10),
                    FIRST_FAILURE.plusSeconds(10), "java.lang.IllegalArgumentException", "bad quantity")));
            join(store.append(new DeadLetter("letter-3", "audit/+", Message.builder("audit/login").payload("alice")
                    .build(), DeadLetter.Reason.CIRCUIT_OPEN, 0, FIRST_FAILURE.plusSeconds(20),
                    FIRST_FAILURE.plusSeconds(20), "io.petrel.api.BrokerException", null)));
            if (!store.remove("letter-2")) {
                throw new IllegalStateException("letter-2 was not stored");
            }
        }
    }

    private static void join(CompletionStage<Void> write) {
        write.toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }
}
