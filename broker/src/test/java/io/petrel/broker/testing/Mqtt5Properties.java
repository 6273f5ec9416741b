package io.petrel.broker.testing;

import java.nio.charset.StandardCharsets;

/**
 * Builder of an MQTT 5.0 property list as it appears on the wire: a variable byte integer length
 * followed by the properties in the order they were added. Nothing is validated, so a test can send
 * a property twice, in the wrong packet or with an invalid value. Not thread-safe.
 */
public final class Mqtt5Properties {

    public static final int PAYLOAD_FORMAT_INDICATOR = 0x01;
    public static final int MESSAGE_EXPIRY_INTERVAL = 0x02;
    public static final int CONTENT_TYPE = 0x03;
    public static final int RESPONSE_TOPIC = 0x08;
    public static final int CORRELATION_DATA = 0x09;
    public static final int SUBSCRIPTION_IDENTIFIER = 0x0B;
    public static final int SESSION_EXPIRY_INTERVAL = 0x11;
    public static final int ASSIGNED_CLIENT_IDENTIFIER = 0x12;
    public static final int SERVER_KEEP_ALIVE = 0x13;
    public static final int AUTHENTICATION_METHOD = 0x15;
    public static final int AUTHENTICATION_DATA = 0x16;
    public static final int REQUEST_PROBLEM_INFORMATION = 0x17;
    public static final int WILL_DELAY_INTERVAL = 0x18;
    public static final int REQUEST_RESPONSE_INFORMATION = 0x19;
    public static final int RESPONSE_INFORMATION = 0x1A;
    public static final int SERVER_REFERENCE = 0x1C;
    public static final int REASON_STRING = 0x1F;
    public static final int RECEIVE_MAXIMUM = 0x21;
    public static final int TOPIC_ALIAS_MAXIMUM = 0x22;
    public static final int TOPIC_ALIAS = 0x23;
    public static final int MAXIMUM_QOS = 0x24;
    public static final int RETAIN_AVAILABLE = 0x25;
    public static final int USER_PROPERTY = 0x26;
    public static final int MAXIMUM_PACKET_SIZE = 0x27;
    public static final int WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28;
    public static final int SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29;
    public static final int SHARED_SUBSCRIPTION_AVAILABLE = 0x2A;

    private final MqttPackets.Writer properties = new MqttPackets.Writer();

    private Mqtt5Properties() {
    }

    /** Starts an empty property list. */
    public static Mqtt5Properties create() {
        return new Mqtt5Properties();
    }

    /** Returns an empty property list, encoded as the single byte 0. */
    public static Mqtt5Properties none() {
        return new Mqtt5Properties();
    }

    /** Adds a one-byte property. */
    public Mqtt5Properties byteProperty(int id, int value) {
        properties.u8(id).u8(value);
        return this;
    }

    /** Adds a two-byte integer property. */
    public Mqtt5Properties twoByteProperty(int id, int value) {
        properties.u8(id).u16(value);
        return this;
    }

    /** Adds a four-byte integer property. */
    public Mqtt5Properties fourByteProperty(int id, long value) {
        properties.u8(id).u32(value);
        return this;
    }

    /** Adds a variable byte integer property. */
    public Mqtt5Properties varIntProperty(int id, int value) {
        properties.u8(id).varInt(value);
        return this;
    }

    /** Adds a UTF-8 string property. */
    public Mqtt5Properties stringProperty(int id, String value) {
        properties.u8(id).utf8(value);
        return this;
    }

    /** Adds a binary data property. */
    public Mqtt5Properties binaryProperty(int id, byte[] value) {
        properties.u8(id).lengthPrefixed(value);
        return this;
    }

    public Mqtt5Properties sessionExpiryInterval(long seconds) {
        return fourByteProperty(SESSION_EXPIRY_INTERVAL, seconds);
    }

    public Mqtt5Properties receiveMaximum(int messages) {
        return twoByteProperty(RECEIVE_MAXIMUM, messages);
    }

    public Mqtt5Properties maximumPacketSize(long bytes) {
        return fourByteProperty(MAXIMUM_PACKET_SIZE, bytes);
    }

    public Mqtt5Properties topicAliasMaximum(int aliases) {
        return twoByteProperty(TOPIC_ALIAS_MAXIMUM, aliases);
    }

    public Mqtt5Properties requestProblemInformation(int value) {
        return byteProperty(REQUEST_PROBLEM_INFORMATION, value);
    }

    public Mqtt5Properties requestResponseInformation(int value) {
        return byteProperty(REQUEST_RESPONSE_INFORMATION, value);
    }

    public Mqtt5Properties authenticationMethod(String method) {
        return stringProperty(AUTHENTICATION_METHOD, method);
    }

    public Mqtt5Properties willDelayInterval(long seconds) {
        return fourByteProperty(WILL_DELAY_INTERVAL, seconds);
    }

    public Mqtt5Properties topicAlias(int alias) {
        return twoByteProperty(TOPIC_ALIAS, alias);
    }

    public Mqtt5Properties messageExpiryInterval(long seconds) {
        return fourByteProperty(MESSAGE_EXPIRY_INTERVAL, seconds);
    }

    public Mqtt5Properties payloadFormatIndicator(int value) {
        return byteProperty(PAYLOAD_FORMAT_INDICATOR, value);
    }

    public Mqtt5Properties contentType(String type) {
        return stringProperty(CONTENT_TYPE, type);
    }

    public Mqtt5Properties responseTopic(String topic) {
        return stringProperty(RESPONSE_TOPIC, topic);
    }

    public Mqtt5Properties correlationData(byte[] data) {
        return binaryProperty(CORRELATION_DATA, data);
    }

    public Mqtt5Properties subscriptionIdentifier(int id) {
        return varIntProperty(SUBSCRIPTION_IDENTIFIER, id);
    }

    /** Adds a user property; the same name may be added several times. */
    public Mqtt5Properties userProperty(String name, String value) {
        properties.u8(USER_PROPERTY)
                .lengthPrefixed(name.getBytes(StandardCharsets.UTF_8))
                .lengthPrefixed(value.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Returns the encoded list: its length as a variable byte integer, then the properties. */
    public byte[] toBytes() {
        byte[] encoded = properties.toBytes();
        return new MqttPackets.Writer().varInt(encoded.length).bytes(encoded).toBytes();
    }
}
