package io.petrel.broker.protocol;

/**
 * The receive limits an MQTT 5.0 client announced in its CONNECT properties.
 *
 * @param receiveMaximum             QoS 1 and 2 messages it accepts unacknowledged, 1 to 65,535
 * @param maxPacketSize              the largest packet it accepts, or {@link Long#MAX_VALUE}
 * @param topicAliasMaximum          the topic aliases the broker may assign it, 0 for none
 * @param requestResponseInformation true if it asked for Response Information in CONNACK
 */
record ClientLimits(int receiveMaximum, long maxPacketSize, int topicAliasMaximum,
                    boolean requestResponseInformation) {

    /** The limits of an MQTT 3 client, which announces none. */
    static final ClientLimits MQTT3 = new ClientLimits(65_535, Long.MAX_VALUE, 0, false);
}
