package io.petrel.persistence.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.BrokerException;
import io.petrel.api.store.StoreOptions;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.wire.DocumentContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageGuardTest {

    private static final int RECORD_BYTES = 1_000;

    @TempDir
    Path dataDirectory;

    private final AtomicLong nanoTime = new AtomicLong();

    @Test
    void burstBetweenMeasurementsCountsTowardCap() {
        Path storeDirectory = dataDirectory.resolve("store");
        try (ChronicleQueue queue = LockedJournal.openQueue(storeDirectory, RollCycles.FAST_DAILY,
                StoreOptions.Sync.NONE)) {
            StorageGuard measuring = guard(storeDirectory, StoreOptions.builder().minFreeBytes(0).build());
            measuring.refresh(queue);
            long journalBytes = measuring.journalBytes();
            measuring.close();
            StoreOptions capped = StoreOptions.builder().minFreeBytes(0)
                    .maxDataBytes(journalBytes + 3L * RECORD_BYTES).build();
            StorageGuard guard = guard(storeDirectory, capped);
            guard.refresh(queue);

            assertNull(guard.check(RECORD_BYTES, false), "first record");
            guard.appended(RECORD_BYTES);
            assertNull(guard.check(RECORD_BYTES, false), "second record");
            guard.appended(RECORD_BYTES);
            assertNull(guard.check(RECORD_BYTES, false), "third record");
            guard.appended(RECORD_BYTES);
            BrokerException fourth = guard.check(RECORD_BYTES, false);

            assertNotNull(fourth, "fourth record rejected before the next measurement");
            assertTrue(fourth.getMessage().contains(StorageGuard.MAX_SIZE_KEY), fourth.getMessage());
            assertNull(guard.check(RECORD_BYTES, true), "removal record accepted above the cap");
            assertEquals(1, guard.rejectedWrites());
            guard.close();
        }
    }

    @Test
    void measurementWaitsForRefreshInterval() {
        Path storeDirectory = dataDirectory.resolve("store");
        try (ChronicleQueue queue = LockedJournal.openQueue(storeDirectory, RollCycles.FAST_DAILY,
                StoreOptions.Sync.NONE)) {
            StorageGuard measuring = guard(storeDirectory, StoreOptions.builder().minFreeBytes(0).build());
            measuring.refresh(queue);
            long journalBytes = measuring.journalBytes();
            measuring.close();
            StoreOptions capped = StoreOptions.builder().minFreeBytes(0)
                    .maxDataBytes(journalBytes + RECORD_BYTES + RECORD_BYTES / 2).build();
            StorageGuard guard = guard(storeDirectory, capped);
            guard.refreshIfDue(queue);
            // Counted as appended but never written, so the next measurement finds the journal unchanged.
            guard.appended(RECORD_BYTES);

            nanoTime.addAndGet(TimeUnit.MILLISECONDS.toNanos(StorageGuard.REFRESH_MILLIS - 1));
            guard.refreshIfDue(queue);
            BrokerException beforeInterval = guard.check(RECORD_BYTES, false);
            nanoTime.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
            guard.refreshIfDue(queue);
            BrokerException afterInterval = guard.check(RECORD_BYTES, false);

            assertNotNull(beforeInterval, "appended bytes count until the next measurement");
            assertNull(afterInterval, "the measurement after the interval replaces the estimate");
            guard.close();
        }
    }

    @Test
    void capSumsStoresOfDataDirectory() {
        Path first = dataDirectory.resolve("first");
        Path second = dataDirectory.resolve("second");
        try (ChronicleQueue firstQueue = LockedJournal.openQueue(first, RollCycles.FAST_DAILY, StoreOptions.Sync.NONE);
             ChronicleQueue secondQueue = LockedJournal.openQueue(second, RollCycles.FAST_DAILY,
                     StoreOptions.Sync.NONE)) {
            try (ExcerptAppender appender = secondQueue.createAppender();
                 DocumentContext document = appender.writingDocument()) {
                document.wire().bytes().write(new byte[RECORD_BYTES]);
            }
            StoreOptions options = StoreOptions.builder().minFreeBytes(0).build();
            StorageGuard measuring = guard(first, options);
            StorageGuard secondGuard = guard(second, options);
            measuring.refresh(firstQueue);
            secondGuard.refresh(secondQueue);
            long firstBytes = measuring.journalBytes();
            long bothBytes = firstBytes + secondGuard.journalBytes();
            measuring.close();
            StoreOptions capped = options.toBuilder().maxDataBytes(bothBytes + RECORD_BYTES - 1).build();
            StorageGuard firstGuard = guard(first, capped);
            firstGuard.refresh(firstQueue);

            BrokerException rejected = firstGuard.check(RECORD_BYTES, false);

            assertTrue(secondGuard.journalBytes() > 0, "second journal has a record");
            assertNotNull(rejected, "cap counts both journals");
            firstGuard.close();
            secondGuard.close();
        }
    }

    private StorageGuard guard(Path storeDirectory, StoreOptions options) {
        return new StorageGuard(dataDirectory, storeDirectory, "test", options, nanoTime::get);
    }
}
