package io.petrel.broker.protocol;

import static io.petrel.broker.protocol.PacketFields.malformed;
import static io.petrel.broker.protocol.PacketFields.protocolError;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.petrel.broker.routing.Topics;

/**
 * Reads the MQTT 5.0 property block of a packet (MQTT 5.0 section 2.2.2): a Variable Byte Integer
 * length, then identifier and value pairs. Each identifier is checked against the packet it appears
 * in and read with its own data type (section 2.2.2.2: anything else is a malformed packet). Every
 * property except User Property may appear once (a repeat is a protocol error); User Properties
 * keep their order.
 *
 * <p>Stateless; called on the event loop of the connection whose bytes are read.
 */
final class PropertyDecoder {

    /** The packets, or parts of a packet, that carry properties from a client, each with the identifiers it allows. */
    enum Scope {
        CONNECT("CONNECT", 0x11, 0x15, 0x16, 0x17, 0x19, 0x21, 0x22, 0x26, 0x27),
        WILL("the will properties", 0x01, 0x02, 0x03, 0x08, 0x09, 0x18, 0x26),
        // [MQTT-3.3.4-6]: a client's PUBLISH carries no Subscription Identifier.
        PUBLISH("PUBLISH", 0x01, 0x02, 0x03, 0x08, 0x09, 0x23, 0x26),
        PUBLISH_REPLY("a PUBLISH acknowledgement", 0x1F, 0x26),
        SUBSCRIBE("SUBSCRIBE", 0x0B, 0x26),
        UNSUBSCRIBE("UNSUBSCRIBE", 0x26),
        DISCONNECT("DISCONNECT", 0x11, 0x1C, 0x1F, 0x26),
        AUTH("AUTH", 0x15, 0x16, 0x1F, 0x26);

        private final String packet;
        private final long allowed;

        Scope(String packet, int... identifiers) {
            this.packet = packet;
            long mask = 0;
            for (int identifier : identifiers) {
                mask |= 1L << identifier;
            }
            this.allowed = mask;
        }

        boolean allows(int identifier) {
            return identifier < Long.SIZE && (allowed & (1L << identifier)) != 0;
        }
    }

    private static final int USER_PROPERTY = MqttProperties.USER_PROPERTY;
    private static final int SUBSCRIPTION_IDENTIFIER = MqttProperties.SUBSCRIPTION_IDENTIFIER;
    /** Field names for error messages by identifier, built once so that reading a property allocates no name. */
    private static final String[] FIELD_NAMES = new String[Long.SIZE];

    static {
        for (int identifier = 0; identifier < FIELD_NAMES.length; identifier++) {
            FIELD_NAMES[identifier] = "property 0x" + Integer.toHexString(identifier);
        }
    }

    private PropertyDecoder() {
    }

    /**
     * Reads a property block; a block of length 0 is returned as the shared, empty
     * {@link MqttProperties#NO_PROPERTIES}. The block is read from {@code in} itself, without a slice:
     * its writer index is lowered to the end of the block meanwhile, so a value that runs past the
     * block fails as it would at the end of the packet. After a failure the reader index is undefined.
     */
    static MqttProperties read(ByteBuf in, Scope scope) throws InvalidPacketException {
        int length = PacketFields.readVariableByteInteger(in, "property length");
        if (length == 0) {
            return MqttProperties.NO_PROPERTIES;
        }
        PacketFields.require(in, length, "property block");
        int writerIndex = in.writerIndex();
        in.writerIndex(in.readerIndex() + length);
        try {
            return readBlock(in, scope);
        } finally {
            in.writerIndex(writerIndex);
        }
    }

    /** Reads the properties from the reader index to the writer index of {@code block}. */
    private static MqttProperties readBlock(ByteBuf block, Scope scope) throws InvalidPacketException {
        MqttProperties properties = new MqttProperties();
        long seen = 0;
        while (block.isReadable()) {
            int identifier = PacketFields.readVariableByteInteger(block, "property identifier");
            if (scope == Scope.PUBLISH && identifier == SUBSCRIPTION_IDENTIFIER) {
                // MQTT 5.0 section 3.3.2.3.8 and [MQTT-3.3.4-6]: the property belongs to PUBLISH, but one sent by
                // a client is a protocol error rather than a malformed packet.
                throw protocolError("a client's PUBLISH must not carry a Subscription Identifier");
            }
            if (!scope.allows(identifier)) {
                throw malformed("property 0x" + Integer.toHexString(identifier) + " is not allowed in " + scope.packet);
            }
            if (identifier != USER_PROPERTY) {
                long bit = 1L << identifier;
                if ((seen & bit) != 0) {
                    throw protocolError(FIELD_NAMES[identifier] + " appears more than once in " + scope.packet);
                }
                seen |= bit;
            }
            properties.add(readValue(block, identifier));
        }
        return properties;
    }

    private static MqttProperties.MqttProperty<?> readValue(ByteBuf in, int identifier) throws InvalidPacketException {
        // Only identifiers below 64 get here, because Scope.allows rejects the others.
        String field = FIELD_NAMES[identifier];
        switch (identifier) {
            case 0x01, 0x24, 0x25, 0x28, 0x29, 0x2A:
                return new MqttProperties.IntegerProperty(identifier, PacketFields.readByte(in, field));
            case 0x17, 0x19:
                // MQTT 5.0 sections 3.1.2.11.6 and 3.1.2.11.7: Request Problem Information and Request
                // Response Information are 0 or 1, anything else is a protocol error.
                int flag = PacketFields.readByte(in, field);
                if (flag > 1) {
                    throw protocolError(field + " must be 0 or 1, not " + flag);
                }
                return new MqttProperties.IntegerProperty(identifier, flag);
            case 0x13, 0x21, 0x22, 0x23:
                return new MqttProperties.IntegerProperty(identifier, PacketFields.readTwoByteInteger(in, field));
            case 0x02, 0x11, 0x18, 0x27:
                return new MqttProperties.IntegerProperty(identifier, PacketFields.readFourByteInteger(in, field));
            case 0x0B:
                return new MqttProperties.IntegerProperty(identifier, PacketFields.readVariableByteInteger(in, field));
            case 0x08:
                String responseTopic = PacketFields.readString(in, field);
                if (Topics.hasWildcard(responseTopic)) {
                    // [MQTT-3.3.2-14]: the Response Topic contains no wildcards.
                    throw protocolError("response topic '" + responseTopic + "' contains a wildcard");
                }
                return new MqttProperties.StringProperty(identifier, responseTopic);
            case 0x03, 0x12, 0x15, 0x1A, 0x1C, 0x1F:
                return new MqttProperties.StringProperty(identifier, PacketFields.readString(in, field));
            case 0x09, 0x16:
                return new MqttProperties.BinaryProperty(identifier, PacketFields.readBinary(in, field));
            case USER_PROPERTY:
                String key = PacketFields.readString(in, "user property name");
                String value = PacketFields.readString(in, "user property value");
                return new MqttProperties.UserProperty(key, value);
            default:
                // Only identifiers that some scope allows get here, and each of them has a case above.
                throw malformed("unknown property 0x" + Integer.toHexString(identifier));
        }
    }
}
