package io.petrel.broker.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EventLoopsTest {

    @Test
    void zeroThreadsMeansOnePerProcessor() {
        try (EventLoops loops = new EventLoops(0)) {
            assertEquals(Runtime.getRuntime().availableProcessors(), loops.ioThreads());
        }
    }

    @Test
    void explicitThreadCountIsKept() {
        try (EventLoops loops = new EventLoops(3)) {
            assertEquals(3, loops.ioThreads());
        }
    }
}
