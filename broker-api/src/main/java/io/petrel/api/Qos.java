package io.petrel.api;

/**
 * MQTT quality-of-service level of a message or of a subscription grant.
 */
public enum Qos {
    /** QoS 0: delivered at most once, never acknowledged or resent. */
    AT_MOST_ONCE(0),
    /** QoS 1: delivered at least once, acknowledged with PUBACK. */
    AT_LEAST_ONCE(1),
    /** QoS 2: delivered exactly once through the PUBREC, PUBREL, PUBCOMP exchange. */
    EXACTLY_ONCE(2);

    private static final Qos[] BY_VALUE = values();

    private final int value;

    Qos(int value) {
        this.value = value;
    }

    /** Returns the level as it appears on the wire: 0, 1 or 2. */
    public int value() {
        return value;
    }

    /** Returns the lower of this level and {@code other}, the QoS a subscriber with that grant receives. */
    public Qos min(Qos other) {
        return other.value < value ? other : this;
    }

    /** Returns the higher of this level and {@code other}. */
    public Qos max(Qos other) {
        return other.value > value ? other : this;
    }

    /**
     * Returns the level for a wire value.
     *
     * @throws IllegalArgumentException if {@code value} is not 0, 1 or 2
     */
    public static Qos of(int value) {
        if (value < 0 || value >= BY_VALUE.length) {
            throw new IllegalArgumentException("invalid QoS " + value + ": expected 0, 1 or 2");
        }
        return BY_VALUE[value];
    }
}
