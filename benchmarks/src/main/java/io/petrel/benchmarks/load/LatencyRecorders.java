package io.petrel.benchmarks.load;

import io.netty.channel.EventLoop;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/**
 * One latency histogram per event loop, shared by the subscribers of that loop, so that memory does
 * not grow with the number of subscribers. Values are microseconds with 3 significant digits, up to
 * {@link #MAX_LATENCY_MICROS}.
 *
 * <p>Threads: each histogram is written only by its event loop; {@link #merged} reads every
 * histogram on its own loop.
 */
final class LatencyRecorders {

    /** Latencies above this are recorded as this value. */
    static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(10);

    private final Map<EventLoop, Histogram> histograms = new ConcurrentHashMap<>();

    /** Returns the histogram of {@code loop}, to be written on that loop only. */
    Histogram forLoop(EventLoop loop) {
        return histograms.computeIfAbsent(loop, key -> new Histogram(MAX_LATENCY_MICROS, 3));
    }

    /** Returns the sum of all histograms, each copied on its own event loop. */
    Histogram merged() throws InterruptedException {
        Histogram merged = new Histogram(MAX_LATENCY_MICROS, 3);
        for (Map.Entry<EventLoop, Histogram> entry : histograms.entrySet()) {
            Histogram histogram = entry.getValue();
            try {
                merged.add(entry.getKey().submit(histogram::copy).get(5, TimeUnit.SECONDS));
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("cannot read the latency histogram of an event loop", e);
            }
        }
        return merged;
    }
}
