package io.petrel.api;

/**
 * When a new subscription receives the retained messages that match its filter (MQTT 5.0 subscription
 * option "Retain Handling").
 */
public enum RetainHandling {
    /** Send retained messages whenever the subscription is made (value 0, the MQTT 3.1.1 behaviour). */
    SEND_ON_SUBSCRIBE(0),
    /** Send retained messages only if the subscription did not exist before (value 1). */
    SEND_IF_NEW_SUBSCRIPTION(1),
    /** Never send retained messages for this subscription (value 2). */
    DO_NOT_SEND(2);

    private static final RetainHandling[] BY_VALUE = values();

    private final int value;

    RetainHandling(int value) {
        this.value = value;
    }

    /** Returns the option as it appears on the wire: 0, 1 or 2. */
    public int value() {
        return value;
    }

    /**
     * Returns the option for a wire value.
     *
     * @throws IllegalArgumentException if {@code value} is not 0, 1 or 2
     */
    public static RetainHandling of(int value) {
        if (value < 0 || value >= BY_VALUE.length) {
            throw new IllegalArgumentException("invalid retain handling " + value + ": expected 0, 1 or 2");
        }
        return BY_VALUE[value];
    }
}
