package io.petrel.persistence.chronicle;

import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;

/**
 * The Chronicle roll cycle of the journals: how often a journal starts a new file. Set with the
 * system property {@value #PROPERTY} to a constant of Chronicle's {@code RollCycles} or
 * {@code TestRollCycles}, for example {@code TEST_SECONDLY} in tests that need a journal of several
 * files. Default: {@code FAST_DAILY}.
 */
final class RollCycleSetting {

    /** The system property that selects the roll cycle. */
    static final String PROPERTY = "petrel.persistence.rollCycle";

    private RollCycleSetting() {
    }

    /**
     * Returns the roll cycle the system property names, or the default.
     *
     * @throws IllegalArgumentException if the property names no known roll cycle
     */
    static RollCycle rollCycle() {
        String name = System.getProperty(PROPERTY);
        if (name == null || name.isBlank()) {
            return RollCycles.FAST_DAILY;
        }
        for (RollCycles cycle : RollCycles.values()) {
            if (cycle.name().equals(name)) {
                return cycle;
            }
        }
        for (TestRollCycles cycle : TestRollCycles.values()) {
            if (cycle.name().equals(name)) {
                return cycle;
            }
        }
        throw new IllegalArgumentException("invalid " + PROPERTY + " = " + name
                + ": expected a constant of RollCycles or TestRollCycles, such as FAST_DAILY or TEST_SECONDLY");
    }
}
