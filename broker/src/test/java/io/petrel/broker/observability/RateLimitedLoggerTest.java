package io.petrel.broker.observability;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.petrel.broker.testing.LogCapture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RateLimitedLoggerTest {

    @RegisterExtension
    final LogCapture capture = LogCapture.of(RateLimitedLoggerTest.class.getName() + ".log", Level.INFO);

    @Test
    void firstLineHasNoSuppressedCount() {
        RateLimitedLogger log = new RateLimitedLogger(capture.logger(), 1, TimeUnit.MINUTES);

        log.info("Closing connection of client {}", "c1");

        assertEquals(1, capture.events().size(), "lines logged");
        assertEquals("Closing connection of client c1", capture.events().get(0).getFormattedMessage());
        assertEquals(Level.INFO, capture.events().get(0).getLevel());
    }

    @Test
    void limitersKeepSeparateCounts() {
        RateLimitedLogger log = new RateLimitedLogger(capture.logger(), 1, TimeUnit.NANOSECONDS);
        RateLimitedLogger limited = new RateLimitedLogger(capture.logger(), 1, TimeUnit.MINUTES);
        limited.warn("first {}", 1);
        limited.warn("second {}", 2);
        limited.warn("third {}", 3);

        log.warn("unrelated {}", 0);

        assertEquals(2, capture.events().size(), "lines logged");
        assertEquals("first 1", capture.events().get(0).getFormattedMessage());
        assertEquals("unrelated 0", capture.events().get(1).getFormattedMessage());
    }

    @Test
    void nextLineCountsHeldBackLines() {
        RateLimitedLogger log = new RateLimitedLogger(capture.logger(), 50, TimeUnit.MILLISECONDS);
        log.warn("line {}", 1);
        log.warn("line {}", 2);
        log.warn("line {}", 3);

        // Every attempt before the interval ends is held back too, so the count is at least 2.
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            log.warn("line {}", 4);
            return capture.events().size() == 2;
        });

        Matcher matcher = Pattern.compile("line 4 \\((\\d+) similar lines suppressed\\)")
                .matcher(capture.events().get(1).getFormattedMessage());
        assertTrue(matcher.matches(), capture.events().get(1).getFormattedMessage());
        assertTrue(Long.parseLong(matcher.group(1)) >= 2, matcher.group(1));
    }

    @Test
    void logSuppressedReportsCountAtLastLevel() {
        RateLimitedLogger log = new RateLimitedLogger(capture.logger(), 1, TimeUnit.MINUTES);
        log.warn("line {}", 1);
        log.warn("line {}", 2);
        log.warn("line {}", 3);

        log.logSuppressed();
        log.logSuppressed();

        assertEquals(2, capture.events().size(), "lines logged");
        assertEquals("2 similar lines held back after the last one logged",
                capture.events().get(1).getFormattedMessage());
        assertEquals(Level.WARN, capture.events().get(1).getLevel());
    }

    @Test
    void logSuppressedIsSilentWithoutHeldBackLines() {
        RateLimitedLogger log = new RateLimitedLogger(capture.logger(), 1, TimeUnit.MINUTES);
        log.error("line {}", 1);

        log.logSuppressed();

        assertEquals(1, capture.events().size(), "lines logged");
    }

    @Test
    void logSuppressedNamesSubject() {
        RateLimitedLogger log = new RateLimitedLogger(capture.logger(), 1, TimeUnit.MINUTES, "closed connections");
        log.info("line {}", 1);
        log.info("line {}", 2);

        log.logSuppressed();

        assertEquals("1 line about closed connections held back after the last one logged",
                capture.events().get(1).getFormattedMessage());
        assertEquals(Level.INFO, capture.events().get(1).getLevel());
    }

    @Test
    void oneHeldBackLineIsSingular() throws InterruptedException {
        RateLimitedLogger log = new RateLimitedLogger(capture.logger(), 500, TimeUnit.MILLISECONDS);
        log.warn("line {}", 1);
        log.warn("line {}", 2);
        Thread.sleep(600);

        log.warn("line {}", 3);

        assertEquals("line 3 (1 similar line suppressed)", capture.events().get(1).getFormattedMessage());
    }

    @Test
    void stringArgumentsAreEscaped() {
        RateLimitedLogger log = new RateLimitedLogger(capture.logger(), 1, TimeUnit.MINUTES);
        RuntimeException error = new RuntimeException("boom");

        log.warn("client {} from {}", "a\nFAKE line", 7, error);

        assertEquals("client a\\nFAKE line from 7", capture.events().get(0).getFormattedMessage());
        assertEquals("boom", capture.events().get(0).getThrowableProxy().getMessage());
    }
}
