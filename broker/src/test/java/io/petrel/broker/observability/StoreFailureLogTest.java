package io.petrel.broker.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.petrel.api.BrokerException;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class StoreFailureLogTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger(StoreFailureLogTest.class.getName() + ".log");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    @BeforeEach
    void attachAppender() {
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void detachAppender() {
        logger.detachAppender(appender);
    }

    @Test
    void rejectionLogsWarningWithoutStackTrace() {
        StoreFailureLog log = new StoreFailureLog(logger, 1, TimeUnit.MINUTES);

        log.failed("store the retained message of topic 'a'", "its publisher gets a failure",
                new CompletionException(new BrokerException("the size cap of 1MB is reached")));

        ILoggingEvent event = appender.list.get(0);
        assertEquals(Level.WARN, event.getLevel());
        assertEquals("Failed to store the retained message of topic 'a': the size cap of 1MB is reached. "
                + "Consequence: its publisher gets a failure", event.getFormattedMessage());
        assertNull(event.getThrowableProxy(), "stack trace");
    }

    @Test
    void unexpectedFailureLogsErrorWithStackTrace() {
        StoreFailureLog log = new StoreFailureLog(logger, 1, TimeUnit.MINUTES);

        log.failed("store a queued message", "its publisher gets a failure",
                new CompletionException(new IOException("disk gone")));

        ILoggingEvent event = appender.list.get(0);
        assertEquals(Level.ERROR, event.getLevel());
        assertNotNull(event.getThrowableProxy(), "stack trace");
        assertEquals(IOException.class.getName(), event.getThrowableProxy().getClassName());
    }

    @Test
    void secondFailureWithinIntervalIsSuppressed() {
        StoreFailureLog log = new StoreFailureLog(logger, 1, TimeUnit.MINUTES);

        log.failed("store a", "none", new BrokerException("full"));
        log.failed("store b", "none", new BrokerException("full"));

        assertEquals(1, appender.list.size());
    }
}
