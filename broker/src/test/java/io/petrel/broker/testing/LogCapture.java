package io.petrel.broker.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Records the events of one Logback logger during each test. The logger's level is set to the
 * requested one for the test and restored afterwards. Register it with {@code @RegisterExtension}
 * on an instance field.
 */
public final class LogCapture implements BeforeEachCallback, AfterEachCallback {

    private final Logger logger;
    private final Level level;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private Level previousLevel;

    private LogCapture(String loggerName, Level level) {
        this.logger = (Logger) LoggerFactory.getLogger(loggerName);
        this.level = level;
    }

    /** Records the logger named {@code loggerName} at {@code level} and above. */
    public static LogCapture of(String loggerName, Level level) {
        return new LogCapture(loggerName, level);
    }

    /** Records the logger of {@code type} at {@code level} and above. */
    public static LogCapture of(Class<?> type, Level level) {
        return of(type.getName(), level);
    }

    /** Returns the logger, for code under test that takes one. */
    public org.slf4j.Logger logger() {
        return logger;
    }

    /** Returns the events recorded so far in this test, oldest first; a live view. */
    public List<ILoggingEvent> events() {
        return appender.list;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        previousLevel = logger.getLevel();
        logger.setLevel(level);
        appender.list.clear();
        appender.start();
        logger.addAppender(appender);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        logger.detachAppender(appender);
        appender.stop();
        logger.setLevel(previousLevel);
    }
}
