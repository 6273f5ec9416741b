package io.petrel.broker.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.petrel.api.Message;
import io.petrel.api.Qos;

import java.nio.ByteBuffer;

/**
 * Converts decoded PUBLISH packets and CONNECT wills into {@link Message} values, copying the payload
 * once so the network buffer can be released at once. Stateless.
 */
final class InboundMessages {

    private InboundMessages() {
    }

    /** Converts a PUBLISH whose topic is {@code topic}, the topic name after resolving an alias. */
    static Message fromPublish(PublishPacket publish, String topic) {
        ByteBuf buffer = publish.buffer();
        int index = publish.payloadIndex();
        int length = publish.payloadLength();
        // The message builder copies the payload at once, so the buffer's own NIO buffer, which a pooled
        // buffer keeps for reuse, serves as the source instead of a new view. A composite buffer has none.
        ByteBuffer payload = buffer.nioBufferCount() == 1 ? buffer.internalNioBuffer(index, length)
                : buffer.nioBuffer(index, length);
        Message.Builder builder = Message.builder(topic)
                .payload(payload)
                .qos(Qos.of(publish.qos()))
                .retain(publish.retain());
        copyProperties(publish.properties(), builder);
        return builder.build();
    }

    static Message fromWill(DecodedConnect connect) {
        Message.Builder builder = Message.builder(connect.willTopic())
                .payload(connect.willPayload())
                .qos(Qos.of(connect.willQos()))
                .retain(connect.willRetain());
        copyProperties(connect.willProperties(), builder);
        return builder.build();
    }

    /** Copies the MQTT 5.0 properties that travel with an application message. */
    private static void copyProperties(MqttProperties properties, Message.Builder builder) {
        if (properties == null || properties.isEmpty()) {
            return;
        }
        MqttProperties.MqttProperty<?> property = properties.getProperty(MqttProperties.PAYLOAD_FORMAT_INDICATOR);
        if (property != null) {
            builder.payloadUtf8(((Integer) property.value()) == 1);
        }
        property = properties.getProperty(MqttProperties.PUBLICATION_EXPIRY_INTERVAL);
        if (property != null) {
            builder.messageExpiryIntervalSeconds(Integer.toUnsignedLong((Integer) property.value()));
        }
        property = properties.getProperty(MqttProperties.CONTENT_TYPE);
        if (property != null) {
            builder.contentType((String) property.value());
        }
        property = properties.getProperty(MqttProperties.RESPONSE_TOPIC);
        if (property != null) {
            builder.responseTopic((String) property.value());
        }
        property = properties.getProperty(MqttProperties.CORRELATION_DATA);
        if (property != null) {
            builder.correlationData((byte[]) property.value());
        }
        for (MqttProperties.MqttProperty<?> userProperty : properties.getProperties(MqttProperties.USER_PROPERTY)) {
            MqttProperties.UserProperty pair = (MqttProperties.UserProperty) userProperty;
            builder.userProperty(pair.value().key, pair.value().value);
        }
    }
}
