package io.petrel.persistence.chronicle;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Names of the live threads, to check that a closed store left none of its threads running: neither
 * a {@code petrel-} writer thread nor a Chronicle thread, whose names contain {@code ~} or
 * {@code chronicle}. Threads of the JDK and the test tools, such as Awaitility's, are not counted.
 */
final class StoreThreads {

    private StoreThreads() {
    }

    /** Returns the names of the live threads. */
    static Set<String> liveNames() {
        Set<String> names = new TreeSet<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.isAlive()) {
                names.add(thread.getName());
            }
        }
        return names;
    }

    /** Waits up to 10 s until no store or Chronicle thread is alive that was not alive in {@code before}. */
    static void awaitOnly(Set<String> before) {
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertEquals(Set.of(), startedSince(before), "threads still running"));
    }

    /** Returns the store and Chronicle threads alive now that were not alive in {@code before}. */
    static Set<String> startedSince(Set<String> before) {
        Set<String> started = liveNames();
        started.removeAll(before);
        started.removeIf(name -> !isStoreThread(name));
        return started;
    }

    private static boolean isStoreThread(String name) {
        return name.startsWith("petrel-") || name.contains("~") || name.toLowerCase(Locale.ROOT).contains("chronicle");
    }
}
