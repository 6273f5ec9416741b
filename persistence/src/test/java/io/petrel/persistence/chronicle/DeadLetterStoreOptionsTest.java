package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterQuery;
import io.petrel.api.Message;
import io.petrel.api.store.DeadLetterStore;
import io.petrel.api.store.StoreOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks that the dead-letter keys of {@link StoreOptions} reach the store that
 * {@link ChronicleStoreProvider} opens, and that the removal records of retention are written above
 * the size cap.
 */
class DeadLetterStoreOptionsTest {

    private static final long MAX_DATA_BYTES = 512 * 1024;
    private static final int MAX_LETTERS = 2_000;

    @TempDir
    Path dataDirectory;

    private final ChronicleStoreProvider provider = new ChronicleStoreProvider();

    @Test
    void providerAppliesMaxAge() throws Exception {
        StoreOptions options = StoreOptions.builder().deadLetterMaxAge(Duration.ofHours(1)).build();
        Instant now = Instant.now();
        try (DeadLetterStore store = provider.deadLetterStore(dataDirectory, options).orElseThrow()) {
            await(store.append(letter("expired", now.minus(Duration.ofHours(2)), 16)));
            await(store.append(letter("recent", now, 16)));
        }

        try (DeadLetterStore store = provider.deadLetterStore(dataDirectory, options).orElseThrow()) {
            assertFalse(store.get("expired").isPresent(), "letter older than the maximum age dropped");
            assertTrue(store.get("recent").isPresent(), "recent letter kept");
        }
    }

    @Test
    void providerAppliesMaxSize() throws Exception {
        StoreOptions options = StoreOptions.builder().deadLetterMaxBytes(2_500).build();
        Instant now = Instant.now();
        try (DeadLetterStore store = provider.deadLetterStore(dataDirectory, options).orElseThrow()) {
            for (int i = 1; i <= 3; i++) {
                await(store.append(letter("letter-" + i, now, 1_000)));
            }
        }

        try (DeadLetterStore store = provider.deadLetterStore(dataDirectory, options).orElseThrow()) {
            List<String> ids = store.list(DeadLetterQuery.all(), null, 10).letters().stream().map(DeadLetter::id)
                    .toList();
            assertEquals(List.of("letter-2", "letter-3"), ids);
        }
    }

    @Test
    void retentionRemovalsAreWrittenAboveCap() throws Exception {
        StoreOptions capped = StoreOptions.builder().maxDataBytes(MAX_DATA_BYTES).minFreeBytes(0).build();
        Instant old = Instant.now().minus(Duration.ofHours(2));
        int written = 0;
        try (ChronicleDeadLetterStore store = ChronicleDeadLetterStore.open(dataDirectory, capped)) {
            while (written < MAX_LETTERS && failureOf(store.append(letter("letter-" + written, old, 2_048))) == null) {
                written++;
            }
            assertTrue(store.rejectedWrites() >= 1, "the cap rejected a letter after " + written);
        }

        StoreOptions cappedWithMaxAge = capped.toBuilder().deadLetterMaxAge(Duration.ofHours(1)).build();
        try (ChronicleDeadLetterStore store = ChronicleDeadLetterStore.open(dataDirectory, cappedWithMaxAge)) {
            assertEquals(written, store.droppedCount());
        }

        try (ChronicleDeadLetterStore store = ChronicleDeadLetterStore.open(dataDirectory, capped)) {
            assertEquals(0, store.count(DeadLetterQuery.all()), "dropped letters stay dropped");
        }
    }

    private static DeadLetter letter(String id, Instant lastFailure, int payloadBytes) {
        return new DeadLetter(id, "#", Message.builder("orders/" + id).payload(new byte[payloadBytes]).build(),
                DeadLetter.Reason.UNPROCESSABLE, 1, lastFailure, lastFailure, "java.lang.RuntimeException", "failed");
    }

    private static void await(CompletionStage<?> stage) throws Exception {
        stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static Throwable failureOf(CompletionStage<?> stage) throws Exception {
        try {
            await(stage);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }
}
