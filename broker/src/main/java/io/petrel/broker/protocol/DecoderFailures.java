package io.petrel.broker.protocol;

import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttIdentifierRejectedException;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttUnacceptableProtocolVersionException;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;

/**
 * Turns a packet that netty-codec-mqtt failed to decode into the reply its protocol version
 * requires: a CONNACK return code for a bad CONNECT, otherwise the connection's single exit for
 * protocol violations. Stateless; called on the connection's event loop.
 */
final class DecoderFailures {

    /** The channel attribute where netty-codec-mqtt keeps the protocol version decoded from CONNECT. */
    private static final AttributeKey<MqttVersion> MQTT_VERSION = AttributeKey.valueOf("NETTY_CODEC_MQTT_VERSION");

    private DecoderFailures() {
    }

    /**
     * Rejects the connection for a packet that failed to decode.
     *
     * @param awaitingConnect true if the connection has not sent a valid CONNECT yet
     */
    static void handle(MqttConnectionHandler connection, MqttMessage message, Throwable cause,
                       boolean awaitingConnect) {
        if (awaitingConnect) {
            MqttVersion version = connection.channelContext().channel().attr(MQTT_VERSION).get();
            int level = version == null ? 4 : version.protocolLevel();
            if (cause instanceof MqttUnacceptableProtocolVersionException) {
                connection.rejectConnect(ConnectRequest.rejected(ProtocolViolation.UNSUPPORTED_PROTOCOL_VERSION,
                        ConnectRequest.V3_UNACCEPTABLE_PROTOCOL_VERSION, cause.getMessage(), level));
                return;
            }
            if (cause instanceof MqttIdentifierRejectedException) {
                connection.rejectConnect(ConnectRequest.rejected(ProtocolViolation.CLIENT_ID_REJECTED,
                        ConnectRequest.V3_IDENTIFIER_REJECTED, cause.getMessage(), level));
                return;
            }
            boolean isConnect = message.fixedHeader() != null
                    && message.fixedHeader().messageType() == MqttMessageType.CONNECT;
            if (isConnect && !(cause instanceof TooLongFrameException)) {
                connection.rejectConnect(ConnectRequest.rejected(ProtocolViolation.MALFORMED_PACKET, 0,
                        String.valueOf(cause.getMessage()), level));
                return;
            }
        }
        connection.reject(classify(cause), String.valueOf(cause.getMessage()));
    }

    private static ProtocolViolation classify(Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            return ProtocolViolation.PACKET_TOO_LARGE;
        }
        String text = cause.getMessage();
        if (text != null && text.contains("invalid publish topic name")) {
            return ProtocolViolation.INVALID_TOPIC;
        }
        return ProtocolViolation.MALFORMED_PACKET;
    }
}
