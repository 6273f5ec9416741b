package io.petrel.benchmarks.load;

import java.net.InetSocketAddress;
import java.util.OptionalLong;

/**
 * The validated settings of one load driver run; see {@link LoadDriver} for each option's meaning.
 *
 * @param clients        publishers in fan-in, subscribers in fan-out, publisher and subscriber pairs
 *                       in point-to-point
 * @param messages       measured messages published in total, over all publishers
 * @param ratePerSecond  measured and warm-up messages published per second in total, 0 for as fast
 *                       as the window allows
 * @param window         messages per publisher sent but not yet delivered before it pauses, 0 for no
 *                       limit
 */
record LoadOptions(
        InetSocketAddress broker,
        Scenario scenario,
        int clients,
        int qos,
        int payloadBytes,
        long messages,
        long warmupMessages,
        double ratePerSecond,
        long window,
        int maxInflight,
        int connections,
        int connectBatch,
        int holdSeconds,
        int keepAliveSeconds,
        boolean retain,
        boolean persistentSubscribers,
        int maxSeconds,
        int drainSeconds,
        int connectTimeoutMillis,
        int threads,
        OptionalLong brokerPid,
        String label) {

    /** The traffic pattern of a run. */
    enum Scenario {
        FAN_IN("fan-in"),
        FAN_OUT("fan-out"),
        POINT_TO_POINT("p2p"),
        IDLE("idle");

        private final String optionValue;

        Scenario(String optionValue) {
            this.optionValue = optionValue;
        }

        /** Returns the name used on the command line and in reports. */
        String optionValue() {
            return optionValue;
        }

        /**
         * Returns the scenario named {@code value} on the command line.
         *
         * @throws IllegalArgumentException if no scenario has that name
         */
        static Scenario parse(String value) {
            for (Scenario scenario : values()) {
                if (scenario.optionValue.equals(value)) {
                    return scenario;
                }
            }
            throw new IllegalArgumentException("invalid scenario '" + value + "': expected fan-in, fan-out, p2p or idle");
        }
    }
}
