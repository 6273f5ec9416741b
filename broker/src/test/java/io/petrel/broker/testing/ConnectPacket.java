package io.petrel.broker.testing;

import java.nio.charset.StandardCharsets;

/**
 * Builder of a CONNECT packet, valid by default, with setters that break individual rules: the
 * protocol name and level, the reserved flag, inconsistent will and password flags.
 * Not thread-safe.
 */
public final class ConnectPacket {

    private String protocolName;
    private int protocolLevel;
    private final String clientId;
    private boolean cleanSession = true;
    private int keepAliveSeconds = 60;
    private boolean reservedFlag;
    private String willTopic;
    private String willPayload = "";
    private int willQos;
    private boolean willRetain;
    private String username;
    private String password;
    private long sessionExpirySeconds = -1;

    private ConnectPacket(String protocolName, int protocolLevel, String clientId) {
        this.protocolName = protocolName;
        this.protocolLevel = protocolLevel;
        this.clientId = clientId;
    }

    /** Starts an MQTT 3.1.1 CONNECT with clean session 1 and a 60 s keepalive. */
    public static ConnectPacket mqtt311(String clientId) {
        return new ConnectPacket("MQTT", MqttPackets.MQTT_3_1_1, clientId);
    }

    /** Starts an MQTT 3.1 CONNECT (protocol name {@code MQIsdp}, level 3). */
    public static ConnectPacket mqtt31(String clientId) {
        return new ConnectPacket("MQIsdp", MqttPackets.MQTT_3_1, clientId);
    }

    /** Starts an MQTT 5.0 CONNECT with clean start 1, a 60 s keepalive and no properties. */
    public static ConnectPacket mqtt5(String clientId) {
        return new ConnectPacket("MQTT", MqttPackets.MQTT_5, clientId);
    }

    /** Replaces the protocol name, for example with an unknown one. */
    public ConnectPacket protocolName(String name) {
        this.protocolName = name;
        return this;
    }

    /** Replaces the protocol level. Bodies are still laid out as MQTT 5.0 only for level 5. */
    public ConnectPacket protocolLevel(int level) {
        this.protocolLevel = level;
        return this;
    }

    /** Sets clean session (MQTT 3.1.1) or clean start (MQTT 5.0). */
    public ConnectPacket cleanSession(boolean clean) {
        this.cleanSession = clean;
        return this;
    }

    /** Sets the keepalive, 0 to 65,535 seconds. */
    public ConnectPacket keepAliveSeconds(int seconds) {
        this.keepAliveSeconds = seconds;
        return this;
    }

    /** Sets bit 0 of the connect flags, which the specification reserves and requires to be 0. */
    public ConnectPacket reservedFlag(boolean set) {
        this.reservedFlag = set;
        return this;
    }

    /** Adds a will message; the QoS is written as given, so 3 produces an invalid packet. */
    public ConnectPacket will(String topic, String payload, int qos, boolean retain) {
        this.willTopic = topic;
        this.willPayload = payload;
        this.willQos = qos;
        this.willRetain = retain;
        return this;
    }

    /**
     * Sets the will QoS and retain bits without the will flag or will fields, which the
     * specification forbids.
     */
    public ConnectPacket willBitsWithoutWill(int qos, boolean retain) {
        this.willTopic = null;
        this.willQos = qos;
        this.willRetain = retain;
        return this;
    }

    /** Sets the user name; sets the user name flag. */
    public ConnectPacket username(String name) {
        this.username = name;
        return this;
    }

    /** Sets the password; sets the password flag, with or without a user name. */
    public ConnectPacket password(String secret) {
        this.password = secret;
        return this;
    }

    /** Adds the MQTT 5.0 Session Expiry Interval property. */
    public ConnectPacket sessionExpirySeconds(long seconds) {
        this.sessionExpirySeconds = seconds;
        return this;
    }

    /** Returns the protocol level this packet declares. */
    public int protocolLevel() {
        return protocolLevel;
    }

    /** Encodes the packet. */
    public byte[] toBytes() {
        boolean mqtt5 = protocolLevel == MqttPackets.MQTT_5;
        MqttPackets.Writer body = new MqttPackets.Writer();
        body.utf8(protocolName);
        body.u8(protocolLevel);
        body.u8(connectFlags());
        body.u16(keepAliveSeconds);
        if (mqtt5) {
            writeConnectProperties(body);
        }

        body.lengthPrefixed(clientId.getBytes(StandardCharsets.UTF_8));
        if (willTopic != null) {
            if (mqtt5) {
                body.varInt(0);
            }
            body.utf8(willTopic);
            body.utf8(willPayload);
        }
        if (username != null) {
            body.utf8(username);
        }
        if (password != null) {
            body.utf8(password);
        }
        return MqttPackets.packet(MqttPackets.CONNECT << 4, body.toBytes());
    }

    private int connectFlags() {
        int flags = 0;
        if (username != null) {
            flags |= 0x80;
        }
        if (password != null) {
            flags |= 0x40;
        }
        if (willRetain) {
            flags |= 0x20;
        }
        flags |= (willQos & 0x03) << 3;
        if (willTopic != null) {
            flags |= 0x04;
        }
        if (cleanSession) {
            flags |= 0x02;
        }
        if (reservedFlag) {
            flags |= 0x01;
        }
        return flags;
    }

    private void writeConnectProperties(MqttPackets.Writer body) {
        MqttPackets.Writer properties = new MqttPackets.Writer();
        if (sessionExpirySeconds >= 0) {
            properties.u8(0x11);
            properties.u32(sessionExpirySeconds);
        }
        byte[] encoded = properties.toBytes();
        body.varInt(encoded.length);
        body.bytes(encoded);
    }
}
