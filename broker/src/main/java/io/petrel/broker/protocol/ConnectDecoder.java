package io.petrel.broker.protocol;

import static io.petrel.broker.protocol.PacketFields.malformed;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.mqtt.MqttProperties;

/**
 * Reads the body of a CONNECT packet (MQTT 3.1, 3.1.1 and 5.0) into a {@link DecodedConnect}. It
 * checks the encoding: protocol name and level, the reserved connect flag and the fields the flags
 * announce. The rules that concern values (will QoS, client identifier, keepalive) are left to
 * {@link ConnectRequest}.
 *
 * <p>Stateless; called on the event loop of the connection whose bytes are read.
 */
final class ConnectDecoder {

    /** The protocol level of MQTT 3.1. */
    static final int MQTT_3_1 = 3;
    /** The protocol level of MQTT 3.1.1. */
    static final int MQTT_3_1_1 = 4;
    /** The protocol level of MQTT 5.0. */
    static final int MQTT_5 = 5;

    private static final String[] KNOWN_PROTOCOL_NAMES = {"MQTT", "MQIsdp"};

    private ConnectDecoder() {
    }

    /**
     * Reads the CONNECT body from the reader index to the writer index of {@code body}; a failure
     * carries the CONNACK code and layout of the reply. The reader index is left undefined.
     */
    static DecodedConnect read(ByteBuf body) throws InvalidPacketException {
        String name;
        int level;
        try {
            name = readProtocolName(body);
            level = PacketFields.readByte(body, "protocol level");
        } catch (InvalidPacketException e) {
            throw e.inConnect(0, MQTT_3_1_1);
        }
        boolean knownVersion = ("MQTT".equals(name) && (level == MQTT_3_1_1 || level == MQTT_5))
                || ("MQIsdp".equals(name) && level == MQTT_3_1);
        if (!knownVersion) {
            // [MQTT-3.1.2-2]: an unsupported protocol level gets CONNACK 0x01, sent in the MQTT 3.1.1 layout.
            throw new InvalidPacketException(ProtocolViolation.UNSUPPORTED_PROTOCOL_VERSION,
                    "protocol name '" + name + "' with level " + level + " is not MQTT 3.1, 3.1.1 or 5.0")
                    .inConnect(ConnectRequest.V3_UNACCEPTABLE_PROTOCOL_VERSION, MQTT_3_1_1);
        }
        try {
            return readAfterLevel(body, name, level);
        } catch (InvalidPacketException e) {
            throw e.inConnect(0, level);
        }
    }

    /**
     * Reads the protocol name. The names of MQTT 3.1.1 and 5.0 ("MQTT") and of MQTT 3.1 ("MQIsdp")
     * are returned as constants, so a CONNECT of a known version allocates no string for its name.
     */
    private static String readProtocolName(ByteBuf body) throws InvalidPacketException {
        for (String known : KNOWN_PROTOCOL_NAMES) {
            if (isStringAt(body, known)) {
                body.skipBytes(2 + known.length());
                return known;
            }
        }
        return PacketFields.readString(body, "protocol name");
    }

    /** Returns true if the UTF-8 string at the reader index is {@code ascii}, which has only ASCII characters. */
    private static boolean isStringAt(ByteBuf body, String ascii) {
        int index = body.readerIndex();
        return body.readableBytes() >= 2 + ascii.length() && body.getUnsignedShort(index) == ascii.length()
                && PacketFields.equalsAscii(body, index + 2, ascii.length(), ascii);
    }

    private static DecodedConnect readAfterLevel(ByteBuf body, String name, int level)
            throws InvalidPacketException {
        boolean mqtt5 = level == MQTT_5;
        int flags = PacketFields.readByte(body, "connect flags");
        if ((flags & 0x01) != 0 && level != MQTT_3_1) {
            // [MQTT-3.1.2-3]: the reserved connect flag must be 0. MQTT 3.1 has no such rule, and
            // netty-codec-mqtt's decoder and Mosquitto 2.0.11 ignore the bit from 3.1 clients.
            throw malformed("reserved connect flag is set");
        }
        boolean userNameFlag = (flags & DecodedConnect.USER_NAME_FLAG) != 0;
        boolean passwordFlag = (flags & DecodedConnect.PASSWORD_FLAG) != 0;
        boolean willFlag = (flags & DecodedConnect.WILL_FLAG) != 0;
        int keepAlive = PacketFields.readTwoByteInteger(body, "keepalive");
        MqttProperties properties = mqtt5 ? PropertyDecoder.read(body, PropertyDecoder.Scope.CONNECT)
                : MqttProperties.NO_PROPERTIES;

        String clientId = PacketFields.readString(body, "client identifier");
        try {
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
            return new DecodedConnect(name, level, flags, keepAlive, properties, clientId, willProperties, willTopic,
                    willMessage, userName, password);
        } catch (InvalidPacketException e) {
            // So that the log line of the rejection names the client.
            throw e.withClientId(clientId);
        }
    }
}
