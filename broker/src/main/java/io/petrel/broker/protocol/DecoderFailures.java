package io.petrel.broker.protocol;

import io.netty.handler.codec.mqtt.MqttMessage;

/**
 * Turns a packet that {@link PacketDecoder} rejected into the reply its protocol version requires:
 * a CONNACK return code for a bad CONNECT, otherwise the connection's single exit for protocol
 * violations. Stateless; called on the connection's event loop.
 */
final class DecoderFailures {

    private DecoderFailures() {
    }

    /**
     * Rejects the connection for a packet that failed to decode.
     *
     * @param awaitingConnect true if the connection has not sent a valid CONNECT yet
     */
    static void handle(MqttConnectionHandler connection, MqttMessage message, boolean awaitingConnect) {
        Throwable cause = message.decoderResult().cause();
        if (!(cause instanceof InvalidPacketException invalid)) {
            connection.reject(ProtocolViolation.MALFORMED_PACKET, String.valueOf(cause));
            return;
        }
        // A CONNECT too large to read gets no CONNACK: its protocol version is not known.
        if (awaitingConnect && invalid.inConnect() && invalid.violation() != ProtocolViolation.PACKET_TOO_LARGE) {
            connection.rejectConnect(ConnectRequest.rejected(invalid.violation(), invalid.v3ReturnCode(),
                    invalid.getMessage(), invalid.connectProtocolLevel()), invalid.clientId());
            return;
        }
        if (!awaitingConnect && invalid.inConnect()) {
            // [MQTT-3.1.0-2]: a second CONNECT is a protocol error whatever it contains. Its own failure,
            // such as an unsupported version (0x84), may have no reason code that DISCONNECT allows.
            connection.reject(ProtocolViolation.PROTOCOL_ERROR,
                    "second CONNECT on one connection: " + invalid.getMessage());
            return;
        }
        connection.reject(invalid.violation(), invalid.getMessage());
    }
}
