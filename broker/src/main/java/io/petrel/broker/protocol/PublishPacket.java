package io.petrel.broker.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.mqtt.MqttProperties;

/**
 * The fields of a decoded PUBLISH, with its payload left in the buffer it was read from. Each
 * connection owns one instance that {@link PacketDecoder} refills for every PUBLISH, so a PUBLISH
 * costs no packet object. The fields and the payload are valid only until the connection decodes
 * its next packet or releases its input buffer, and the connection calls {@link #release()} once
 * it has handled the PUBLISH. A PUBLISH that has to wait is kept as a copy made by {@link #hold()}.
 *
 * <p>Used only on the event loop of its connection.
 */
final class PublishPacket {

    private static final int RETAIN_FLAG = 0b0001;

    // The low four bits of the fixed header's first byte: DUP, QoS and RETAIN.
    private int flags;
    // The topic name as sent, before a topic alias is resolved. Null before the first PUBLISH.
    private String topic;
    private int packetId;
    private MqttProperties properties = MqttProperties.NO_PROPERTIES;
    private ByteBuf buffer;
    private int payloadIndex;
    private int payloadLength;
    // True for a copy made by hold() until release(): the copy owns a reference to its buffer.
    private boolean ownsBuffer;

    /** Stores the fields of a PUBLISH whose payload is the {@code payloadLength} bytes of {@code buffer} from {@code payloadIndex}. */
    void set(int flags, String topic, int packetId, MqttProperties properties, ByteBuf buffer, int payloadIndex,
             int payloadLength) {
        this.flags = flags;
        this.topic = topic;
        this.packetId = packetId;
        this.properties = properties;
        this.buffer = buffer;
        this.payloadIndex = payloadIndex;
        this.payloadLength = payloadLength;
    }

    /** Returns the QoS level, 0 to 2. */
    int qos() {
        return (flags >> 1) & 0b11;
    }

    boolean retain() {
        return (flags & RETAIN_FLAG) != 0;
    }

    /**
     * Returns the topic name as sent, which is empty when an MQTT 5.0 topic alias replaces it, or
     * null before the first PUBLISH.
     */
    String topic() {
        return topic;
    }

    /** Returns the packet identifier, or -1 at QoS 0, as netty-codec-mqtt marks it. */
    int packetId() {
        return packetId;
    }

    /** Returns the MQTT 5.0 properties, or {@link MqttProperties#NO_PROPERTIES}. */
    MqttProperties properties() {
        return properties;
    }

    /** Returns the buffer that contains the payload. Read it with absolute indexes only. */
    ByteBuf buffer() {
        return buffer;
    }

    int payloadIndex() {
        return payloadIndex;
    }

    int payloadLength() {
        return payloadLength;
    }

    /**
     * Returns a copy that stays valid after the connection reads on, because it owns a reference to
     * the buffer. {@link #release()} gives the reference back.
     */
    PublishPacket hold() {
        PublishPacket copy = new PublishPacket();
        copy.set(flags, topic, packetId, properties, buffer.retain(), payloadIndex, payloadLength);
        copy.ownsBuffer = true;
        return copy;
    }

    /**
     * Drops the references to the buffer and the properties, keeping only the topic for the next
     * PUBLISH, so that an idle connection keeps no input buffer or large property alive. A copy made
     * by {@link #hold()} also gives its buffer reference back.
     */
    void release() {
        if (ownsBuffer) {
            ownsBuffer = false;
            buffer.release();
        }
        buffer = null;
        properties = MqttProperties.NO_PROPERTIES;
    }

    @Override
    public String toString() {
        return "PUBLISH{topic=" + topic + ", qos=" + qos() + ", retain=" + retain() + ", packetId=" + packetId
                + ", payloadBytes=" + payloadLength + '}';
    }
}
