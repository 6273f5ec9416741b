package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.store.StoreOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.queue.RollCycles;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fills a real, small file system: a 2 MiB tmpfs mounted on a directory the test creates, and makes
 * a store directory read-only with a bind mount. Runs only where {@code mount -t tmpfs} works
 * (Linux, as root); elsewhere it is skipped with the reason.
 */
class FullFileSystemTest {

    private static final long MIN_FREE_BYTES = 256 * 1024;
    private static final int MAX_RECORDS = 5_000;
    private static final long COMMAND_TIMEOUT_SECONDS = 10;

    @TempDir
    Path temporaryDirectory;

    private Path mountPoint;
    private boolean mounted;
    private Path bindMountPoint;

    @BeforeEach
    void mountSmallFileSystem() throws IOException, InterruptedException {
        mountPoint = Files.createDirectory(temporaryDirectory.resolve("small-fs"));
        String output = run(List.of("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint.toString()));
        mounted = output == null;
        Assumptions.assumeTrue(mounted, () -> "cannot mount a 2 MiB tmpfs on " + mountPoint
                + " (needs Linux and root): " + output);
    }

    @AfterEach
    void unmount() throws IOException, InterruptedException {
        if (bindMountPoint != null) {
            String output = run(List.of("umount", bindMountPoint.toString()));
            assertEquals(null, output, "umount " + bindMountPoint);
        }
        if (mounted) {
            String output = run(List.of("umount", mountPoint.toString()));
            assertEquals(null, output, "umount " + mountPoint);
        }
    }

    @Test
    void fullFileSystemRejectsWritesUntilSpaceReturns() throws Exception {
        Path dataDirectory = mountPoint.resolve("data");
        StoreOptions options = StoreOptions.builder().minFreeBytes(MIN_FREE_BYTES).build();
        int written = 0;
        Throwable rejection = null;
        try (ChronicleRetainedStore store = ChronicleRetainedStore.open(dataDirectory, RollCycles.FAST_DAILY,
                ChronicleRetainedStore.DEFAULT_COMPACTION_MIN_RECORDS, options)) {
            while (rejection == null && written < MAX_RECORDS) {
                try {
                    store.set(StoreLimitsTest.retained("topic/" + written), written).toCompletableFuture()
                            .get(10, TimeUnit.SECONDS);
                    written++;
                } catch (ExecutionException e) {
                    rejection = e.getCause();
                }
            }

            assertTrue(rejection != null, "no write rejected after " + written + " records");
            String message = rejection.getMessage();
            assertTrue(message.contains("persistence.min_free_space"), message);
            assertTrue(message.contains("bytes free"), message);

            String remount = run(List.of("mount", "-o", "remount,size=8m", mountPoint.toString()));
            assertEquals(null, remount, "remount with more space");

            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> StoreLimitsTest.succeeds(store.set(StoreLimitsTest.retained("after/remount"), 1)));
        }

        try (ChronicleRetainedStore reopened = ChronicleRetainedStore.open(dataDirectory)) {
            int[] count = new int[1];
            reopened.forEach(message -> count[0]++);

            assertEquals(written + 1, count[0]);
        }
    }

    @Test
    void readOnlyDirectoryRejectsWritesUntilWritable() throws Exception {
        Path dataDirectory = mountPoint.resolve("data");
        StoreOptions options = StoreOptions.builder().minFreeBytes(0).build();
        try (ChronicleSessionStore store = ChronicleSessionStore.open(dataDirectory, RollCycles.FAST_DAILY,
                ChronicleSessionStore.DEFAULT_COMPACTION_MIN_RECORDS, options)) {
            store.sessionStored("before", 60, 1).toCompletableFuture().get(10, TimeUnit.SECONDS);
            Path storeDirectory = dataDirectory.resolve(ChronicleSessionStore.DIRECTORY);
            String bind = run(List.of("mount", "--bind", storeDirectory.toString(), storeDirectory.toString()));
            assertEquals(null, bind, "bind mount");
            bindMountPoint = storeDirectory;
            String readOnly = run(List.of("mount", "-o", "remount,bind,ro", storeDirectory.toString()));
            assertEquals(null, readOnly, "remount read-only");

            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> !StoreLimitsTest.succeeds(store.sessionStored("while-read-only", 60, 1)));
            Throwable rejection = failureOf(store.sessionStored("read-only", 60, 1));

            assertTrue(String.valueOf(rejection).contains("is not writable"), String.valueOf(rejection));

            String writable = run(List.of("mount", "-o", "remount,bind,rw", storeDirectory.toString()));
            assertEquals(null, writable, "remount writable");
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> StoreLimitsTest.succeeds(store.sessionStored("after", 60, 1)));
        }
    }

    private static Throwable failureOf(CompletionStage<?> stage) throws Exception {
        try {
            stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /** Runs a command and returns null if it succeeded, or its output and exit code. */
    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.toString();
        }
        if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return String.join(" ", command) + " timed out";
        }
        String output = new String(process.getInputStream().readAllBytes()).trim();
        return process.exitValue() == 0 ? null : output + " (exit code " + process.exitValue() + ")";
    }
}
