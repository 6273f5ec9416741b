package io.petrel.api.hook;

import io.petrel.api.Message;
import io.petrel.api.UserProperty;

import java.util.List;
import java.util.Objects;

/**
 * A message on its way into the broker (publish inbound) or to one subscriber (publish outbound).
 * An interceptor may change it through the {@code with...} copies and return the copy with
 * {@link InterceptResult#proceed(Object)}.
 *
 * <p>Inbound, {@link #client()} is the publisher and the QoS and retain flag of the message are the
 * publisher's. Outbound, {@link #client()} is the subscriber, and the message carries the QoS and
 * retain flag it is delivered with; a change to either is ignored.
 *
 * @param client  the publisher (inbound) or the subscriber (outbound); {@link ClientInfo#inProcess()}
 *                for the hosting application
 * @param message the message
 */
public record PublishEvent(ClientInfo client, Message message) {

    /** Checks that the parts are present. */
    public PublishEvent {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(message, "message");
    }

    /** Returns a copy with another message. */
    public PublishEvent withMessage(Message changed) {
        return new PublishEvent(client, changed);
    }

    /**
     * Returns a copy whose message has another topic and the same payload and properties. The broker
     * checks the topic against the MQTT topic name rules; an invalid topic counts as an interceptor
     * error.
     */
    public PublishEvent withTopic(String topic) {
        Message.Builder builder = Message.builder(topic)
                .payload(message.payload())
                .qos(message.qos())
                .retain(message.retain())
                .payloadUtf8(message.payloadUtf8())
                .userProperties(message.userProperties());
        message.contentType().ifPresent(builder::contentType);
        message.responseTopic().ifPresent(builder::responseTopic);
        message.correlationData().ifPresent(data -> {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            builder.correlationData(bytes);
        });
        message.messageExpiryIntervalSeconds().ifPresent(builder::messageExpiryIntervalSeconds);
        return withMessage(builder.build());
    }

    /** Returns a copy whose message has another payload. */
    public PublishEvent withPayload(byte[] payload) {
        return withMessage(message.toBuilder().payload(payload).build());
    }

    /** Returns a copy whose message has the UTF-8 encoding of {@code payload}. */
    public PublishEvent withPayload(String payload) {
        return withMessage(message.toBuilder().payload(payload).build());
    }

    /** Returns a copy whose message has these MQTT 5.0 user properties, in order, instead of its own. */
    public PublishEvent withUserProperties(List<UserProperty> properties) {
        return withMessage(message.toBuilder().userProperties(properties).build());
    }
}
