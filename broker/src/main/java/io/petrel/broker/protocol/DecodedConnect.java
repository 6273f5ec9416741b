package io.petrel.broker.protocol;

import io.netty.handler.codec.mqtt.MqttProperties;

/**
 * The fields of a CONNECT packet as {@link ConnectDecoder} read them, with its encoding checked but
 * not its values, which {@link ConnectRequest#check} checks. One object per CONNECT, which the
 * connection keeps only while it processes the CONNECT.
 *
 * <p>Immutable by contract: the byte arrays and property sets are not copied, so callers must not
 * change them. There is no {@code toString()}, so that the password cannot end up in a log line.
 */
final class DecodedConnect {

    static final int USER_NAME_FLAG = 0x80;
    static final int PASSWORD_FLAG = 0x40;
    static final int WILL_RETAIN_FLAG = 0x20;
    static final int WILL_FLAG = 0x04;
    static final int CLEAN_START_FLAG = 0x02;

    private final String protocolName;
    private final int protocolLevel;
    private final int flags;
    private final int keepAliveSeconds;
    private final MqttProperties properties;
    private final String clientId;
    private final MqttProperties willProperties;
    private final String willTopic;
    private final byte[] willPayload;
    private final String userName;
    private final byte[] password;

    /**
     * Creates the fields of a CONNECT.
     *
     * @param flags the connect flags byte as sent
     * @param willTopic the will topic, null without the will flag, and so is {@code willPayload}
     * @param userName the user name, null without the user name flag, and so is {@code password} without
     *                 the password flag
     */
    DecodedConnect(String protocolName, int protocolLevel, int flags, int keepAliveSeconds,
                   MqttProperties properties, String clientId, MqttProperties willProperties, String willTopic,
                   byte[] willPayload, String userName, byte[] password) {
        this.protocolName = protocolName;
        this.protocolLevel = protocolLevel;
        this.flags = flags;
        this.keepAliveSeconds = keepAliveSeconds;
        this.properties = properties;
        this.clientId = clientId;
        this.willProperties = willProperties;
        this.willTopic = willTopic;
        this.willPayload = willPayload;
        this.userName = userName;
        this.password = password;
    }

    /** Returns "MQTT" for MQTT 3.1.1 and 5.0, "MQIsdp" for MQTT 3.1. */
    String protocolName() {
        return protocolName;
    }

    /** Returns 3, 4 or 5 for MQTT 3.1, 3.1.1 or 5.0. */
    int protocolLevel() {
        return protocolLevel;
    }

    boolean hasUserName() {
        return (flags & USER_NAME_FLAG) != 0;
    }

    boolean hasPassword() {
        return (flags & PASSWORD_FLAG) != 0;
    }

    boolean willRetain() {
        return (flags & WILL_RETAIN_FLAG) != 0;
    }

    /** Returns the will QoS bits of the connect flags, 0 to 3, of which 3 is invalid. */
    int willQos() {
        return (flags >> 3) & 0x03;
    }

    boolean willFlag() {
        return (flags & WILL_FLAG) != 0;
    }

    /** Returns the Clean Start flag (Clean Session in MQTT 3.1 and 3.1.1). */
    boolean cleanStart() {
        return (flags & CLEAN_START_FLAG) != 0;
    }

    int keepAliveSeconds() {
        return keepAliveSeconds;
    }

    /** Returns the MQTT 5.0 CONNECT properties, empty for MQTT 3. */
    MqttProperties properties() {
        return properties;
    }

    /** Returns the client identifier as sent, possibly empty. */
    String clientId() {
        return clientId;
    }

    /** Returns the MQTT 5.0 will properties, empty without a will or for MQTT 3. */
    MqttProperties willProperties() {
        return willProperties;
    }

    /** Returns the will topic, or null without the will flag. */
    String willTopic() {
        return willTopic;
    }

    /** Returns the will payload, or null without the will flag. Not a copy. */
    byte[] willPayload() {
        return willPayload;
    }

    /** Returns the user name, or null without the user name flag. */
    String userName() {
        return userName;
    }

    /** Returns the password, or null without the password flag. Not a copy. */
    byte[] password() {
        return password;
    }
}
