package io.petrel.broker.protocol;

/**
 * The reason {@link PacketDecoder} rejected a packet. The decoder returns it as the cause of the
 * failed decoder result of the {@code MqttMessage} that represents the packet, so that the connection
 * handles it in arrival order like any other packet. It has no stack trace, because the cause is the
 * input, not a code path.
 */
final class InvalidPacketException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient ProtocolViolation violation;
    private final int v3ReturnCode;
    private final int connectProtocolLevel;
    private final String clientId;

    /** Creates a failure; a CONNECT's failure is then marked with {@link #inConnect(int, int)}. */
    InvalidPacketException(ProtocolViolation violation, String message) {
        this(violation, message, 0, 0, null);
    }

    private InvalidPacketException(ProtocolViolation violation, String message, int v3ReturnCode,
                                   int connectProtocolLevel, String clientId) {
        super(message, null, false, false);
        this.violation = violation;
        this.v3ReturnCode = v3ReturnCode;
        this.connectProtocolLevel = connectProtocolLevel;
        this.clientId = clientId;
    }

    /**
     * Returns this failure marked as one of a CONNECT. The connection replies with a CONNACK in the
     * layout of {@code protocolLevel} (4 when the level is not known), carrying {@code v3ReturnCode}
     * for an MQTT 3 client, or closes an MQTT 3 connection without CONNACK when {@code v3ReturnCode}
     * is 0.
     */
    InvalidPacketException inConnect(int v3ReturnCode, int protocolLevel) {
        return new InvalidPacketException(violation, getMessage(), v3ReturnCode, protocolLevel, clientId);
    }

    /** Returns this failure with the client identifier that the CONNECT carried before the failing field. */
    InvalidPacketException withClientId(String requestedClientId) {
        return new InvalidPacketException(violation, getMessage(), v3ReturnCode, connectProtocolLevel,
                requestedClientId);
    }

    /** Returns the client identifier that a rejected CONNECT carried, or null if the failure came before it. */
    String clientId() {
        return clientId;
    }

    ProtocolViolation violation() {
        return violation;
    }

    /** Returns the MQTT 3 CONNACK return code, or 0 to close without CONNACK. */
    int v3ReturnCode() {
        return v3ReturnCode;
    }

    /** Returns true if the packet was a CONNECT. */
    boolean inConnect() {
        return connectProtocolLevel != 0;
    }

    /** Returns the protocol level of the rejected CONNECT: 3, 4 or 5, or 4 when it is not known. */
    int connectProtocolLevel() {
        return connectProtocolLevel;
    }
}
