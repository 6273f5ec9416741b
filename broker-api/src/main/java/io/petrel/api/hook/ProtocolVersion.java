package io.petrel.api.hook;

/**
 * The MQTT protocol version a client connected with, or {@link #IN_PROCESS} for the hosting
 * application's own publishes and subscriptions.
 */
public enum ProtocolVersion {
    /** MQTT 3.1, protocol name {@code MQIsdp}, level 3. */
    MQTT_3_1(3),
    /** MQTT 3.1.1, level 4. */
    MQTT_3_1_1(4),
    /** MQTT 5.0, level 5. */
    MQTT_5(5),
    /** The in-process API of the broker, which has no protocol level; {@link #level()} returns 0. */
    IN_PROCESS(0);

    private final int level;

    ProtocolVersion(int level) {
        this.level = level;
    }

    /** Returns the protocol level byte of CONNECT, or 0 for {@link #IN_PROCESS}. */
    public int level() {
        return level;
    }

    /**
     * Returns the version for a CONNECT protocol level.
     *
     * @throws IllegalArgumentException if {@code level} is not 3, 4 or 5
     */
    public static ProtocolVersion ofLevel(int level) {
        return switch (level) {
            case 3 -> MQTT_3_1;
            case 4 -> MQTT_3_1_1;
            case 5 -> MQTT_5;
            default -> throw new IllegalArgumentException("invalid MQTT protocol level " + level
                    + ": expected 3, 4 or 5");
        };
    }
}
