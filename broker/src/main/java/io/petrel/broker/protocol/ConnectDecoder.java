package io.petrel.broker.protocol;

import static io.petrel.broker.protocol.PacketFields.malformed;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectPayload;
import io.netty.handler.codec.mqtt.MqttConnectVariableHeader;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttProperties;

/**
 * Reads the body of a CONNECT packet (MQTT 3.1, 3.1.1 and 5.0). It checks the encoding: protocol name
 * and level, the reserved connect flag and the fields the flags announce. The rules that concern
 * values (will QoS, client identifier, keepalive) are left to {@link ConnectRequest}.
 *
 * <p>Stateless; called on the event loop of the connection whose bytes are read.
 */
final class ConnectDecoder {

    /** The protocol level of MQTT 3.1. */
    static final int MQTT_3_1 = 3;
    /** The protocol level of MQTT 5.0. */
    static final int MQTT_5 = 5;

    private ConnectDecoder() {
    }

    /** Reads the remaining bytes of a CONNECT; a failure carries the CONNACK code and layout of the reply. */
    static MqttConnectMessage read(MqttFixedHeader header, ByteBuf body) throws InvalidPacketException {
        String name;
        int level;
        try {
            name = PacketFields.readString(body, "protocol name");
            level = PacketFields.readByte(body, "protocol level");
        } catch (InvalidPacketException e) {
            throw e.inConnect(0, 4);
        }
        boolean knownVersion = ("MQTT".equals(name) && (level == 4 || level == 5))
                || ("MQIsdp".equals(name) && level == 3);
        if (!knownVersion) {
            // [MQTT-3.1.2-2]: an unsupported protocol level gets CONNACK 0x01, sent in the MQTT 3.1.1 layout.
            throw new InvalidPacketException(ProtocolViolation.UNSUPPORTED_PROTOCOL_VERSION,
                    "protocol name '" + name + "' with level " + level + " is not MQTT 3.1, 3.1.1 or 5.0")
                    .inConnect(ConnectRequest.V3_UNACCEPTABLE_PROTOCOL_VERSION, 4);
        }
        try {
            return readAfterLevel(header, body, name, level);
        } catch (InvalidPacketException e) {
            throw e.inConnect(0, level);
        }
    }

    private static MqttConnectMessage readAfterLevel(MqttFixedHeader header, ByteBuf body, String name, int level)
            throws InvalidPacketException {
        boolean mqtt5 = level == MQTT_5;
        int flags = PacketFields.readByte(body, "connect flags");
        if ((flags & 0x01) != 0 && level != MQTT_3_1) {
            // [MQTT-3.1.2-3]: the reserved connect flag must be 0. MQTT 3.1 has no such rule, and
            // netty-codec-mqtt's decoder and Mosquitto 2.0.11 ignore the bit from 3.1 clients.
            throw malformed("reserved connect flag is set");
        }
        boolean userNameFlag = (flags & 0x80) != 0;
        boolean passwordFlag = (flags & 0x40) != 0;
        boolean willRetain = (flags & 0x20) != 0;
        int willQos = (flags >> 3) & 0x03;
        boolean willFlag = (flags & 0x04) != 0;
        boolean cleanSession = (flags & 0x02) != 0;
        int keepAlive = PacketFields.readTwoByteInteger(body, "keepalive");
        MqttProperties properties = mqtt5 ? PropertyDecoder.read(body, PropertyDecoder.Scope.CONNECT)
                : MqttProperties.NO_PROPERTIES;

        String clientId = PacketFields.readString(body, "client identifier");
        MqttProperties willProperties = MqttProperties.NO_PROPERTIES;
        String willTopic = null;
        byte[] willMessage = null;
        if (willFlag) {
            if (mqtt5) {
                willProperties = PropertyDecoder.read(body, PropertyDecoder.Scope.WILL);
            }
            willTopic = PacketFields.readString(body, "will topic");
            willMessage = PacketFields.readBinary(body, "will payload");
        }
        String userName = userNameFlag ? PacketFields.readString(body, "user name") : null;
        byte[] password = passwordFlag ? PacketFields.readBinary(body, "password") : null;
        if (body.isReadable()) {
            throw malformed(body.readableBytes() + " bytes after the end of the CONNECT payload");
        }

        MqttConnectVariableHeader variableHeader = new MqttConnectVariableHeader(name, level, userNameFlag,
                passwordFlag, willRetain, willQos, willFlag, cleanSession, keepAlive, properties);
        MqttConnectPayload payload = new MqttConnectPayload(clientId, willProperties, willTopic, willMessage, userName,
                password);
        return new MqttConnectMessage(header, variableHeader, payload);
    }
}
