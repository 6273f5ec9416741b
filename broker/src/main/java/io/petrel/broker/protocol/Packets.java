package io.petrel.broker.protocol;

import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnAckVariableHeader;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import io.netty.handler.codec.mqtt.MqttUnsubAckPayload;

/**
 * Builds the control packets the broker sends, for netty-codec-mqtt's encoder, which picks the
 * MQTT 3 or 5 layout from the version the decoder stored on the channel. Stateless.
 */
final class Packets {

    /** MQTT 5.0 reason code: success. */
    static final byte SUCCESS = 0x00;
    /** MQTT 5.0 reason code of PUBACK and PUBREC: accepted, but no subscriber matched. */
    static final byte NO_MATCHING_SUBSCRIBERS = 0x10;
    /** MQTT 5.0 reason code of UNSUBACK: the client had no such subscription. */
    static final byte NO_SUBSCRIPTION_EXISTED = 0x11;
    /** MQTT 5.0 reason code of PUBREL and PUBCOMP: the packet identifier is not in use. */
    static final byte PACKET_ID_NOT_FOUND = (byte) 0x92;
    /** MQTT 5.0 reason code of DISCONNECT: the server is shutting down. */
    static final byte SERVER_SHUTTING_DOWN = (byte) 0x8B;
    /** MQTT 5.0 reason code of DISCONNECT: another connection took the session over. */
    static final byte SESSION_TAKEN_OVER = (byte) 0x8E;
    /** MQTT 3.1.1 SUBACK return code for a rejected filter. */
    static final int SUBACK_FAILURE = 0x80;

    private static final MqttMessage PINGRESP =
            new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGRESP, false, MqttQoS.AT_MOST_ONCE, false, 0));

    // Fixed headers are immutable, and those of the acknowledgements never change, so each is shared.
    private static final MqttFixedHeader PUBACK_HEADER = replyHeader(MqttMessageType.PUBACK, 0);
    private static final MqttFixedHeader PUBREC_HEADER = replyHeader(MqttMessageType.PUBREC, 0);
    private static final MqttFixedHeader PUBREL_HEADER = replyHeader(MqttMessageType.PUBREL, 0);
    private static final MqttFixedHeader PUBCOMP_HEADER = replyHeader(MqttMessageType.PUBCOMP, 0);

    private Packets() {
    }

    static MqttConnAckMessage connAck(MqttConnectReturnCode code, boolean sessionPresent, MqttProperties properties) {
        return new MqttConnAckMessage(
                new MqttFixedHeader(MqttMessageType.CONNACK, false, MqttQoS.AT_MOST_ONCE, false, 0),
                new MqttConnAckVariableHeader(code, sessionPresent, properties));
    }

    static MqttMessage pubAck(int packetId, byte reasonCode) {
        return pubReply(PUBACK_HEADER, packetId, reasonCode);
    }

    static MqttMessage pubAck(int packetId, byte reasonCode, MqttProperties properties) {
        return pubReply(PUBACK_HEADER, packetId, reasonCode, properties);
    }

    static MqttMessage pubRec(int packetId, byte reasonCode) {
        return pubReply(PUBREC_HEADER, packetId, reasonCode);
    }

    static MqttMessage pubRec(int packetId, byte reasonCode, MqttProperties properties) {
        return pubReply(PUBREC_HEADER, packetId, reasonCode, properties);
    }

    static MqttMessage pubRel(int packetId, byte reasonCode) {
        return pubReply(PUBREL_HEADER, packetId, reasonCode);
    }

    static MqttMessage pubComp(int packetId, byte reasonCode) {
        return pubReply(PUBCOMP_HEADER, packetId, reasonCode);
    }

    static MqttSubAckMessage subAck(int packetId, int[] reasonCodes, MqttProperties properties) {
        return new MqttSubAckMessage(
                new MqttFixedHeader(MqttMessageType.SUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0),
                new MqttMessageIdAndPropertiesVariableHeader(packetId, properties),
                new MqttSubAckPayload(reasonCodes));
    }

    static MqttUnsubAckMessage unsubAck(int packetId, short[] reasonCodes, MqttProperties properties) {
        return new MqttUnsubAckMessage(
                new MqttFixedHeader(MqttMessageType.UNSUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0),
                new MqttMessageIdAndPropertiesVariableHeader(packetId, properties),
                new MqttUnsubAckPayload(reasonCodes));
    }

    static MqttMessage disconnect(byte reasonCode, MqttProperties properties) {
        return new MqttMessage(
                new MqttFixedHeader(MqttMessageType.DISCONNECT, false, MqttQoS.AT_MOST_ONCE, false, 0),
                new MqttReasonCodeAndPropertiesVariableHeader(reasonCode, properties));
    }

    static MqttMessage auth(byte reasonCode, MqttProperties properties) {
        return new MqttMessage(
                new MqttFixedHeader(MqttMessageType.AUTH, false, MqttQoS.AT_MOST_ONCE, false, 0),
                new MqttReasonCodeAndPropertiesVariableHeader(reasonCode, properties));
    }

    static MqttMessage pingResp() {
        return PINGRESP;
    }

    /** Returns properties holding only a reason string, or none when {@code reason} is null. */
    static MqttProperties reasonString(String reason) {
        if (reason == null) {
            return MqttProperties.NO_PROPERTIES;
        }
        MqttProperties properties = new MqttProperties();
        properties.add(new MqttProperties.StringProperty(MqttProperties.REASON_STRING, reason));
        return properties;
    }

    private static MqttMessage pubReply(MqttFixedHeader header, int packetId, byte reasonCode) {
        return pubReply(header, packetId, reasonCode, MqttProperties.NO_PROPERTIES);
    }

    private static MqttMessage pubReply(MqttFixedHeader header, int packetId, byte reasonCode,
                                        MqttProperties properties) {
        return new MqttMessage(header, new MqttPubReplyMessageVariableHeader(packetId, reasonCode, properties));
    }

    /**
     * Returns the fixed header of a PUBACK, PUBREC, PUBREL or PUBCOMP {@code type} with
     * {@code remainingLength}. PUBREL carries the flags 0010 [MQTT-3.6.1-1], the others 0000.
     */
    static MqttFixedHeader replyHeader(MqttMessageType type, int remainingLength) {
        MqttQoS flags = type == MqttMessageType.PUBREL ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE;
        return new MqttFixedHeader(type, false, flags, false, remainingLength);
    }
}
