package io.petrel.broker.observability;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RateLimitedLoggerTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger(RateLimitedLoggerTest.class.getName() + ".log");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    @BeforeEach
    void attachAppender() {
        logger.setLevel(Level.INFO);
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void detachAppender() {
        logger.detachAppender(appender);
    }

    @Test
    void firstLineHasNoSuppressedCount() {
        RateLimitedLogger log = new RateLimitedLogger(logger, 1, TimeUnit.MINUTES);

        log.info("Closing connection of client {}", "c1");

        assertEquals(1, appender.list.size(), "lines logged");
        assertEquals("Closing connection of client c1", appender.list.get(0).getFormattedMessage());
        assertEquals(Level.INFO, appender.list.get(0).getLevel());
    }

    @Test
    void limitersKeepSeparateCounts() {
        RateLimitedLogger log = new RateLimitedLogger(logger, 1, TimeUnit.NANOSECONDS);
        RateLimitedLogger limited = new RateLimitedLogger(logger, 1, TimeUnit.MINUTES);
        limited.warn("first {}", 1);
        limited.warn("second {}", 2);
        limited.warn("third {}", 3);

        log.warn("unrelated {}", 0);

        assertEquals(2, appender.list.size(), "lines logged");
        assertEquals("first 1", appender.list.get(0).getFormattedMessage());
        assertEquals("unrelated 0", appender.list.get(1).getFormattedMessage());
    }

    @Test
    void nextLineCountsHeldBackLines() {
        RateLimitedLogger log = new RateLimitedLogger(logger, 50, TimeUnit.MILLISECONDS);
        log.warn("line {}", 1);
        log.warn("line {}", 2);
        log.warn("line {}", 3);

        // Every attempt before the interval ends is held back too, so the count is at least 2.
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            log.warn("line {}", 4);
            return appender.list.size() == 2;
        });

        Matcher matcher = Pattern.compile("line 4 \\((\\d+) similar lines suppressed\\)")
                .matcher(appender.list.get(1).getFormattedMessage());
        assertTrue(matcher.matches(), appender.list.get(1).getFormattedMessage());
        assertTrue(Long.parseLong(matcher.group(1)) >= 2, matcher.group(1));
    }
}
