package io.petrel.api.hook;

/**
 * The MQTT 5.0 failure reason codes that a hook may choose when it rejects a connection, a publish or
 * a subscription.
 *
 * <p>Not every code is allowed in every packet. When a hook picks a code that the packet of the
 * rejected event cannot carry, the broker sends {@link #UNSPECIFIED_ERROR} instead. MQTT 3.1.1 has no
 * reason codes in PUBACK and SUBACK, and only five CONNACK return codes: the broker maps each code
 * to the closest one, as {@link #connectReturnCodeV3()} shows.
 */
public enum ReasonCode {
    /** 0x80: CONNACK, PUBACK, PUBREC, SUBACK. */
    UNSPECIFIED_ERROR(0x80, true, true, true),
    /** 0x83: CONNACK, PUBACK, PUBREC, SUBACK. */
    IMPLEMENTATION_SPECIFIC_ERROR(0x83, true, true, true),
    /** 0x85: CONNACK only. */
    CLIENT_IDENTIFIER_NOT_VALID(0x85, true, false, false),
    /** 0x86: CONNACK only. */
    BAD_USER_NAME_OR_PASSWORD(0x86, true, false, false),
    /** 0x87: CONNACK, PUBACK, PUBREC, SUBACK. */
    NOT_AUTHORIZED(0x87, true, true, true),
    /** 0x88: CONNACK only. */
    SERVER_UNAVAILABLE(0x88, true, false, false),
    /** 0x89: CONNACK only. */
    SERVER_BUSY(0x89, true, false, false),
    /** 0x8A: CONNACK only. */
    BANNED(0x8A, true, false, false),
    /** 0x8F: SUBACK only. */
    TOPIC_FILTER_INVALID(0x8F, false, false, true),
    /** 0x90: CONNACK (for the will topic), PUBACK, PUBREC. */
    TOPIC_NAME_INVALID(0x90, true, true, false),
    /** 0x97: CONNACK, PUBACK, PUBREC, SUBACK. */
    QUOTA_EXCEEDED(0x97, true, true, true),
    /** 0x99: CONNACK (for the will payload), PUBACK, PUBREC. */
    PAYLOAD_FORMAT_INVALID(0x99, true, true, false);

    private final int value;
    private final boolean connAck;
    private final boolean pubAck;
    private final boolean subAck;

    ReasonCode(int value, boolean connAck, boolean pubAck, boolean subAck) {
        this.value = value;
        this.connAck = connAck;
        this.pubAck = pubAck;
        this.subAck = subAck;
    }

    /** Returns the code as it appears on the wire. */
    public int value() {
        return value;
    }

    /** Returns true if an MQTT 5.0 CONNACK may carry this code. */
    public boolean allowedInConnAck() {
        return connAck;
    }

    /** Returns true if an MQTT 5.0 PUBACK or PUBREC may carry this code. */
    public boolean allowedInPubAck() {
        return pubAck;
    }

    /** Returns true if an MQTT 5.0 SUBACK may carry this code. */
    public boolean allowedInSubAck() {
        return subAck;
    }

    /**
     * Returns the MQTT 3.1 and 3.1.1 CONNACK return code closest to this code: 2 (identifier
     * rejected), 3 (server unavailable), 4 (bad user name or password) or 5 (not authorized).
     */
    public int connectReturnCodeV3() {
        return switch (this) {
            case CLIENT_IDENTIFIER_NOT_VALID -> 0x02;
            case UNSPECIFIED_ERROR, IMPLEMENTATION_SPECIFIC_ERROR, SERVER_UNAVAILABLE, SERVER_BUSY -> 0x03;
            case BAD_USER_NAME_OR_PASSWORD -> 0x04;
            default -> 0x05;
        };
    }
}
