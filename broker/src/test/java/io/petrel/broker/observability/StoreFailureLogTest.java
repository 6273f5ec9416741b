package io.petrel.broker.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.petrel.api.BrokerException;
import io.petrel.broker.testing.LogCapture;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class StoreFailureLogTest {

    @RegisterExtension
    final LogCapture log = LogCapture.of(StoreFailureLogTest.class.getName() + ".log", Level.INFO);

    @Test
    void rejectionLogsWarningWithoutStackTrace() {
        StoreFailureLog failures = new StoreFailureLog(log.logger(), 1, TimeUnit.MINUTES);

        failures.failed("store the retained message of topic 'a'", "its publisher gets a failure",
                new CompletionException(new BrokerException("the size cap of 1MB is reached")));

        ILoggingEvent event = log.events().get(0);
        assertEquals(Level.WARN, event.getLevel());
        assertEquals("Failed to store the retained message of topic 'a': the size cap of 1MB is reached. "
                + "Consequence: its publisher gets a failure", event.getFormattedMessage());
        assertNull(event.getThrowableProxy(), "stack trace");
    }

    @Test
    void unexpectedFailureLogsErrorWithStackTrace() {
        StoreFailureLog failures = new StoreFailureLog(log.logger(), 1, TimeUnit.MINUTES);

        failures.failed("store a queued message", "its publisher gets a failure",
                new CompletionException(new IOException("disk gone")));

        ILoggingEvent event = log.events().get(0);
        assertEquals(Level.ERROR, event.getLevel());
        assertNotNull(event.getThrowableProxy(), "stack trace");
        assertEquals(IOException.class.getName(), event.getThrowableProxy().getClassName());
    }

    @Test
    void secondFailureWithinIntervalIsSuppressed() {
        StoreFailureLog failures = new StoreFailureLog(log.logger(), 1, TimeUnit.MINUTES);

        failures.failed("store a", "none", new BrokerException("full"));
        failures.failed("store b", "none", new BrokerException("full"));

        assertEquals(1, log.events().size());
    }
}
