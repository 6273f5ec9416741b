package io.petrel.broker.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reported a leaked buffer while it ran. Registered for every test
 * class through {@code META-INF/services/org.junit.jupiter.api.extension.Extension} and
 * {@code junit.jupiter.extensions.autodetection.enabled=true}.
 *
 * <p>Netty's detector reports a leak only when a collected, unreleased buffer is found while another
 * buffer is allocated. After all tests of a class this extension runs the garbage collector and
 * allocates and releases a few pooled buffers so that pending reports are logged; the
 * {@link LeakRecordingAppender} configured in {@code logback-test.xml} records them. A leak that is
 * collected only after this check is reported in a later class, so the build still fails.
 */
public final class LeakDetectionExtension implements AfterAllCallback {

    private static final int DETECTION_ROUNDS = 5;

    @Override
    public void afterAll(ExtensionContext context) {
        triggerLeakReports();
        failOnLeaks(LeakRecordingAppender.recorded(), context.getDisplayName());
    }

    /** Runs the garbage collector and allocates buffers so that Netty logs leaks it has not reported yet. */
    static void triggerLeakReports() {
        for (int round = 0; round < DETECTION_ROUNDS; round++) {
            System.gc();
            ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(64);
            ByteBuf heap = PooledByteBufAllocator.DEFAULT.heapBuffer(64);
            direct.release();
            heap.release();
        }
    }

    /**
     * Drains {@code records} and throws if any leak report was in it.
     *
     * @throws AssertionError listing every drained report
     */
    static void failOnLeaks(Queue<String> records, String testClass) {
        List<String> leaks = new ArrayList<>();
        for (String leak = records.poll(); leak != null; leak = records.poll()) {
            leaks.add(leak);
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty reported " + leaks.size() + " leaked buffer(s) during or before "
                    + testClass + ":\n" + String.join("\n\n", leaks));
        }
    }
}
