package io.petrel.broker.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Logback appender that keeps every leak report of Netty's {@code ResourceLeakDetector}: an ERROR
 * event on logger {@value #LEAK_DETECTOR_LOGGER} whose message starts with {@code LEAK:}.
 * {@link LeakDetectionExtension} fails a test class when reports are present after it ran.
 *
 * <p>{@code logback-test.xml} creates the instance that records into the shared queue. Logback
 * calls {@link #append} from any thread.
 */
public final class LeakRecordingAppender extends AppenderBase<ILoggingEvent> {

    /** Logger name Netty's leak detector reports on. */
    public static final String LEAK_DETECTOR_LOGGER = "io.netty.util.ResourceLeakDetector";

    private static final Queue<String> RECORDED = new ConcurrentLinkedQueue<>();

    private final Queue<String> records;

    /** Creates the appender that logback configures, which records into {@link #recorded()}. */
    public LeakRecordingAppender() {
        this(RECORDED);
    }

    /** Creates an appender that records into {@code records}, for testing the appender itself. */
    LeakRecordingAppender(Queue<String> records) {
        this.records = records;
    }

    /** Returns the leak reports recorded by the logback-configured appender and not yet drained. */
    public static Queue<String> recorded() {
        return RECORDED;
    }

    @Override
    protected void append(ILoggingEvent event) {
        if (isLeakReport(event)) {
            records.add(event.getFormattedMessage());
        }
    }

    static boolean isLeakReport(ILoggingEvent event) {
        return event.getLevel() == Level.ERROR
                && LEAK_DETECTOR_LOGGER.equals(event.getLoggerName())
                && event.getFormattedMessage() != null
                && event.getFormattedMessage().startsWith("LEAK:");
    }
}
