package io.petrel.broker.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Shows that a Netty leak report fails the build, without leaking a real buffer: a recorded fake
 * report makes the extension's check throw.
 */
class LeakDetectionExtensionTest {

    private static final String LEAK_MESSAGE =
            "LEAK: ByteBuf.release() was not called before it's garbage-collected.";

    @Test
    void recordedLeakFailsCheck() {
        Queue<String> records = new ConcurrentLinkedQueue<>();
        LeakRecordingAppender appender = startedAppender(records);

        appender.doAppend(event(LeakRecordingAppender.LEAK_DETECTOR_LOGGER, Level.ERROR, LEAK_MESSAGE));

        AssertionError failure = assertThrows(AssertionError.class,
                () -> LeakDetectionExtension.failOnLeaks(records, "SomeTest"));
        assertTrue(failure.getMessage().contains(LEAK_MESSAGE), failure.getMessage());
        assertTrue(records.isEmpty(), "the check drains the records it reported");
    }

    @Test
    void checkPassesWithoutLeaks() {
        LeakDetectionExtension.failOnLeaks(new ConcurrentLinkedQueue<>(), "SomeTest");
    }

    @Test
    void appenderIgnoresOtherEvents() {
        Queue<String> records = new ConcurrentLinkedQueue<>();
        LeakRecordingAppender appender = startedAppender(records);

        appender.doAppend(event(LeakRecordingAppender.LEAK_DETECTOR_LOGGER, Level.WARN, LEAK_MESSAGE));
        appender.doAppend(event("io.netty.channel.DefaultChannelPipeline", Level.ERROR, LEAK_MESSAGE));
        appender.doAppend(event(LeakRecordingAppender.LEAK_DETECTOR_LOGGER, Level.ERROR, "unrelated"));

        assertEquals(0, records.size());
    }

    @Test
    void logbackConfigAttachesRecorderToLeakDetector() {
        LoggerContext context = assertInstanceOf(LoggerContext.class, LoggerFactory.getILoggerFactory());
        Logger detector = context.getLogger(LeakRecordingAppender.LEAK_DETECTOR_LOGGER);

        assertNotNull(detector.getAppender("leaks"), "logback-test.xml attaches appender 'leaks'");
        assertInstanceOf(LeakRecordingAppender.class, detector.getAppender("leaks"));
        assertTrue(detector.isErrorEnabled(), "Netty reports leaks only when ERROR is enabled");
    }

    private static LeakRecordingAppender startedAppender(Queue<String> records) {
        LeakRecordingAppender appender = new LeakRecordingAppender(records);
        appender.setContext(new LoggerContext());
        appender.start();
        return appender;
    }

    private static LoggingEvent event(String loggerName, Level level, String message) {
        LoggingEvent event = new LoggingEvent();
        event.setLoggerName(loggerName);
        event.setLevel(level);
        event.setMessage(message);
        return event;
    }
}
