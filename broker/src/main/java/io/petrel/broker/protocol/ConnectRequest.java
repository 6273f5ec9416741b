package io.petrel.broker.protocol;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.petrel.api.Message;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.routing.Topics;
import io.petrel.broker.session.Session;

import java.util.UUID;

/**
 * A CONNECT packet checked against the protocol rules and the broker's limits: either the accepted
 * connection parameters or the reason it was rejected. Immutable.
 */
final class ConnectRequest {

    /** MQTT 3.1.1 CONNACK return code: unacceptable protocol version. */
    static final int V3_UNACCEPTABLE_PROTOCOL_VERSION = 0x01;
    /** MQTT 3.1.1 CONNACK return code: identifier rejected. */
    static final int V3_IDENTIFIER_REJECTED = 0x02;

    private static final byte[] NO_AUTHENTICATION_DATA = new byte[0];

    private final ProtocolViolation violation;
    private final int v3ReturnCode;
    private final String problem;

    private final int protocolLevel;
    private final String clientId;
    private final boolean assignedClientId;
    private final boolean cleanStart;
    private final int keepAliveSeconds;
    private final boolean keepAliveOverridden;
    private final long sessionExpirySeconds;
    private final boolean requestProblemInformation;
    private final Message will;
    private final ClientLimits clientLimits;
    private final String authenticationMethod;
    private final byte[] authenticationData;

    private ConnectRequest(ProtocolViolation violation, int v3ReturnCode, String problem, int protocolLevel) {
        this.violation = violation;
        this.v3ReturnCode = v3ReturnCode;
        this.problem = problem;
        this.protocolLevel = protocolLevel;
        this.clientId = null;
        this.assignedClientId = false;
        this.cleanStart = true;
        this.keepAliveSeconds = 0;
        this.keepAliveOverridden = false;
        this.sessionExpirySeconds = 0;
        this.requestProblemInformation = true;
        this.will = null;
        this.clientLimits = ClientLimits.MQTT3;
        this.authenticationMethod = null;
        this.authenticationData = null;
    }

    private ConnectRequest(int protocolLevel, String clientId, boolean assignedClientId, boolean cleanStart,
                           int keepAliveSeconds, boolean keepAliveOverridden, long sessionExpirySeconds,
                           boolean requestProblemInformation, Message will, ClientLimits clientLimits,
                           String authenticationMethod, byte[] authenticationData) {
        this.violation = null;
        this.v3ReturnCode = 0;
        this.problem = null;
        this.protocolLevel = protocolLevel;
        this.clientId = clientId;
        this.assignedClientId = assignedClientId;
        this.cleanStart = cleanStart;
        this.keepAliveSeconds = keepAliveSeconds;
        this.keepAliveOverridden = keepAliveOverridden;
        this.sessionExpirySeconds = sessionExpirySeconds;
        this.requestProblemInformation = requestProblemInformation;
        this.will = will;
        this.clientLimits = clientLimits;
        this.authenticationMethod = authenticationMethod;
        this.authenticationData = authenticationData;
    }

    /** Checks a decoded CONNECT against the rules of its protocol version and the broker limits. */
    static ConnectRequest check(DecodedConnect connect, BrokerConfig config) {
        int level = connect.protocolLevel();
        boolean mqtt5 = level == ConnectDecoder.MQTT_5;

        // [MQTT-3.1.2-11], [MQTT-3.1.2-13], [MQTT-3.1.2-15]: without the will flag, will QoS and will
        // retain must be 0; [MQTT-3.1.2-14]: will QoS 3 is invalid.
        if (connect.willQos() > 2) {
            return rejected(ProtocolViolation.MALFORMED_PACKET, 0, "will QoS 3 is invalid", level);
        }
        if (!connect.willFlag() && (connect.willQos() != 0 || connect.willRetain())) {
            return rejected(ProtocolViolation.MALFORMED_PACKET, 0,
                    "will QoS or will retain set without the will flag", level);
        }
        // [MQTT-3.1.2-22]: in MQTT 3.1.1 a password requires a user name.
        if (!mqtt5 && connect.hasPassword() && !connect.hasUserName()) {
            return rejected(ProtocolViolation.MALFORMED_PACKET, 0, "password flag set without user name flag", level);
        }

        String clientId = connect.clientId();
        boolean assigned = false;
        if (clientId == null || clientId.isEmpty()) {
            if (mqtt5) {
                // [MQTT-3.1.3-6]: the server assigns an identifier and returns it in CONNACK.
                clientId = "petrel-" + UUID.randomUUID();
                assigned = true;
            } else if (level == ConnectDecoder.MQTT_3_1_1 && connect.cleanStart()) {
                // [MQTT-3.1.3-6], [MQTT-3.1.3-7]: 3.1.1 allows an empty identifier with clean session 1 only.
                clientId = "petrel-" + UUID.randomUUID();
            } else {
                return rejected(ProtocolViolation.CLIENT_ID_REJECTED, V3_IDENTIFIER_REJECTED,
                        "empty client identifier requires clean session 1", level);
            }
        } else if (ByteBufUtil.utf8Bytes(clientId) > config.maxClientIdLength()) {
            return rejected(ProtocolViolation.CLIENT_ID_REJECTED, V3_IDENTIFIER_REJECTED,
                    "client identifier longer than " + config.maxClientIdLength()
                            + " bytes (" + BrokerConfig.MAX_CLIENT_ID_LENGTH + ")", level);
        }

        int keepAlive = connect.keepAliveSeconds();
        boolean overridden = false;
        if (keepAlive > config.maxKeepAliveSeconds()) {
            if (!mqtt5) {
                // MQTT 3.1.1 cannot tell the client another keepalive; reject as Mosquitto does.
                return rejected(ProtocolViolation.PROTOCOL_ERROR, V3_IDENTIFIER_REJECTED,
                        "keepalive " + keepAlive + " s is above the maximum of " + config.maxKeepAliveSeconds()
                                + " s (" + BrokerConfig.MAX_KEEPALIVE_SECONDS + ")", level);
            }
            keepAlive = config.maxKeepAliveSeconds();
            overridden = true;
        }

        long expiry;
        boolean problemInformation = true;
        ClientLimits limits = ClientLimits.MQTT3;
        String authenticationMethod = null;
        byte[] authenticationData = NO_AUTHENTICATION_DATA;
        if (mqtt5) {
            MqttProperties properties = connect.properties();
            MqttProperties.MqttProperty<?> method = properties.getProperty(MqttProperties.AUTHENTICATION_METHOD);
            MqttProperties.MqttProperty<?> data = properties.getProperty(MqttProperties.AUTHENTICATION_DATA);
            if (method != null) {
                authenticationMethod = (String) method.value();
                authenticationData = data == null ? authenticationData : (byte[]) data.value();
            } else if (data != null) {
                // MQTT 5.0 section 3.1.2.11.10: Authentication Data without a method is a protocol error.
                return rejected(ProtocolViolation.PROTOCOL_ERROR, 0, "Authentication Data without Authentication Method",
                        level);
            }
            expiry = unsignedIntProperty(properties, MqttProperties.SESSION_EXPIRY_INTERVAL, 0);
            problemInformation = unsignedIntProperty(properties, MqttProperties.REQUEST_PROBLEM_INFORMATION, 1) != 0;
            long receiveMaximum = unsignedIntProperty(properties, MqttProperties.RECEIVE_MAXIMUM, 65_535);
            long maxPacketSize = unsignedIntProperty(properties, MqttProperties.MAXIMUM_PACKET_SIZE, Long.MAX_VALUE);
            if (receiveMaximum == 0) {
                // MQTT 5.0 section 3.1.2.11.3: a Receive Maximum of 0 is a protocol error.
                return rejected(ProtocolViolation.PROTOCOL_ERROR, 0, "Receive Maximum 0 is invalid", level);
            }
            if (maxPacketSize == 0) {
                return rejected(ProtocolViolation.PROTOCOL_ERROR, 0, "Maximum Packet Size 0 is invalid", level);
            }
            limits = new ClientLimits((int) receiveMaximum, maxPacketSize,
                    (int) unsignedIntProperty(properties, MqttProperties.TOPIC_ALIAS_MAXIMUM, 0),
                    unsignedIntProperty(properties, MqttProperties.REQUEST_RESPONSE_INFORMATION, 0) == 1);
        } else {
            expiry = connect.cleanStart() ? 0 : Session.NEVER_EXPIRES;
        }

        Message will = null;
        if (connect.willFlag()) {
            String willTopic = connect.willTopic();
            String topicProblem = willTopic == null ? "will topic is missing" : Topics.checkTopicName(willTopic);
            if (topicProblem != null) {
                return rejected(ProtocolViolation.INVALID_TOPIC, 0, "invalid will topic: " + topicProblem, level);
            }
            will = InboundMessages.fromWill(connect);
        }
        return new ConnectRequest(level, clientId, assigned, connect.cleanStart(), keepAlive, overridden,
                expiry, problemInformation, will, limits, authenticationMethod, authenticationData);
    }

    static ConnectRequest rejected(ProtocolViolation violation, int v3ReturnCode, String problem, int level) {
        return new ConnectRequest(violation, v3ReturnCode, problem, level);
    }

    private static long unsignedIntProperty(MqttProperties properties, int id, long defaultValue) {
        MqttProperties.MqttProperty<?> property = properties.getProperty(id);
        return property == null ? defaultValue : Integer.toUnsignedLong((Integer) property.value());
    }

    /** Returns the reason the CONNECT was rejected, or null if it was accepted. */
    ProtocolViolation violation() {
        return violation;
    }

    /** Returns the MQTT 3.1.1 CONNACK return code for a rejection, or 0 to close without CONNACK. */
    int v3ReturnCode() {
        return v3ReturnCode;
    }

    String problem() {
        return problem;
    }

    int protocolLevel() {
        return protocolLevel;
    }

    boolean mqtt5() {
        return protocolLevel == ConnectDecoder.MQTT_5;
    }

    String clientId() {
        return clientId;
    }

    boolean assignedClientId() {
        return assignedClientId;
    }

    boolean cleanStart() {
        return cleanStart;
    }

    int keepAliveSeconds() {
        return keepAliveSeconds;
    }

    boolean keepAliveOverridden() {
        return keepAliveOverridden;
    }

    long sessionExpirySeconds() {
        return sessionExpirySeconds;
    }

    boolean requestProblemInformation() {
        return requestProblemInformation;
    }

    Message will() {
        return will;
    }

    /**
     * Returns the will delay interval in seconds from the will properties, 0 when absent or for
     * MQTT 3.
     */
    long willDelaySeconds(DecodedConnect connect) {
        if (will == null || !mqtt5()) {
            return 0;
        }
        return unsignedIntProperty(connect.willProperties(), MqttProperties.WILL_DELAY_INTERVAL, 0);
    }

    ClientLimits clientLimits() {
        return clientLimits;
    }

    /** Returns the MQTT 5.0 enhanced authentication method, or null when the client named none. */
    String authenticationMethod() {
        return authenticationMethod;
    }

    /** Returns the authentication data of the CONNECT, empty when absent. */
    byte[] authenticationData() {
        return authenticationData;
    }
}
