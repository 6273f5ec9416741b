package io.petrel.broker.protocol;

/**
 * Kinds of MQTT protocol violation for which the broker rejects a packet or closes a connection, each
 * with the MQTT 5.0 reason code it sends (in CONNACK before the session starts, in DISCONNECT after) and the
 * {@code reason} tag of the {@code petrel.protocol.violations} counter.
 */
public enum ProtocolViolation {
    MALFORMED_PACKET("malformed_packet", 0x81),
    PROTOCOL_ERROR("protocol_error", 0x82),
    INVALID_TOPIC("invalid_topic", 0x90),
    INVALID_FILTER("invalid_filter", 0x8F),
    PACKET_TOO_LARGE("packet_too_large", 0x95),
    TOPIC_ALIAS_INVALID("topic_alias_invalid", 0x94),
    UNSUPPORTED_PROTOCOL_VERSION("unsupported_protocol_version", 0x84),
    CLIENT_ID_REJECTED("client_id_rejected", 0x85),
    NOT_AUTHORIZED("not_authorized", 0x87),
    BAD_AUTHENTICATION_METHOD("bad_authentication_method", 0x8C),
    RECEIVE_MAXIMUM_EXCEEDED("receive_maximum_exceeded", 0x93),
    QUOTA_EXCEEDED("quota_exceeded", 0x97),
    PAYLOAD_FORMAT_INVALID("payload_format_invalid", 0x99),
    RETAIN_NOT_SUPPORTED("retain_not_supported", 0x9A),
    QOS_NOT_SUPPORTED("qos_not_supported", 0x9B),
    SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED("subscription_identifiers_not_supported", 0xA1),
    CONNECT_TIMEOUT("connect_timeout", 0x87),
    KEEPALIVE_TIMEOUT("keepalive_timeout", 0x8D);

    private final String tag;
    private final int reasonCode;

    ProtocolViolation(String tag, int reasonCode) {
        this.tag = tag;
        this.reasonCode = reasonCode;
    }

    /** Returns the value of the {@code reason} tag. */
    public String tag() {
        return tag;
    }

    /** Returns the MQTT 5.0 reason code sent to the client. */
    public int reasonCode() {
        return reasonCode;
    }
}
