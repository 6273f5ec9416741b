package io.petrel.api;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An immutable MQTT application message: topic, payload, QoS, retain flag and the MQTT 5.0 properties
 * that the broker forwards to subscribers unchanged.
 *
 * <p>The payload is copied once when the message is built, so the caller may reuse its array or buffer.
 * {@link #payload()} returns a read-only view that each caller may consume independently.
 */
public final class Message {

    /** Largest MQTT 5.0 message expiry interval, in seconds (a four-byte unsigned integer). */
    public static final long MAX_EXPIRY_INTERVAL_SECONDS = 0xFFFF_FFFFL;

    /** Largest MQTT 5.0 subscription identifier (a variable byte integer). */
    public static final int MAX_SUBSCRIPTION_IDENTIFIER = 268_435_455;

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

    private final String topic;
    private final ByteBuffer payload;
    private final Qos qos;
    private final boolean retain;
    private final boolean payloadUtf8;
    private final String contentType;
    private final String responseTopic;
    private final ByteBuffer correlationData;
    private final long messageExpiryIntervalSeconds;
    private final List<UserProperty> userProperties;
    private final List<Integer> subscriptionIdentifiers;

    private Message(Builder builder) {
        this.topic = builder.topic;
        this.payload = builder.payload;
        this.qos = builder.qos;
        this.retain = builder.retain;
        this.payloadUtf8 = builder.payloadUtf8;
        this.contentType = builder.contentType;
        this.responseTopic = builder.responseTopic;
        this.correlationData = builder.correlationData;
        this.messageExpiryIntervalSeconds = builder.messageExpiryIntervalSeconds;
        // Most messages have neither list, so the builder creates them only when one is set.
        this.userProperties = builder.userProperties == null ? List.of() : List.copyOf(builder.userProperties);
        this.subscriptionIdentifiers = builder.subscriptionIdentifiers == null
                ? List.of() : List.copyOf(builder.subscriptionIdentifiers);
    }

    /**
     * Starts a message for a topic. The topic is checked against the MQTT topic name rules when the
     * message is published.
     */
    public static Builder builder(String topic) {
        return new Builder(topic);
    }

    /** Returns a builder that starts from this message's values. */
    public Builder toBuilder() {
        Builder builder = new Builder(topic);
        builder.payload = payload;
        builder.qos = qos;
        builder.retain = retain;
        builder.payloadUtf8 = payloadUtf8;
        builder.contentType = contentType;
        builder.responseTopic = responseTopic;
        builder.correlationData = correlationData;
        builder.messageExpiryIntervalSeconds = messageExpiryIntervalSeconds;
        if (!userProperties.isEmpty()) {
            builder.userProperties = new ArrayList<>(userProperties);
        }
        if (!subscriptionIdentifiers.isEmpty()) {
            builder.subscriptionIdentifiers = new ArrayList<>(subscriptionIdentifiers);
        }
        return builder;
    }

    /** Returns the topic name. */
    public String topic() {
        return topic;
    }

    /** Returns a read-only view of the payload, positioned at its start. */
    public ByteBuffer payload() {
        return payload.duplicate();
    }

    /** Returns the payload length in bytes. */
    public int payloadSize() {
        return payload.remaining();
    }

    /** Returns a copy of the payload. */
    public byte[] payloadBytes() {
        byte[] copy = new byte[payload.remaining()];
        payload.duplicate().get(copy);
        return copy;
    }

    /** Decodes the payload as UTF-8 text; invalid sequences become U+FFFD. */
    public String payloadAsString() {
        return StandardCharsets.UTF_8.decode(payload.duplicate()).toString();
    }

    /** Returns the QoS the message was published with. */
    public Qos qos() {
        return qos;
    }

    /** Returns true if the message is retained: stored for subscribers that arrive later. */
    public boolean retain() {
        return retain;
    }

    /** Returns true if the publisher marked the payload as UTF-8 text (payload format indicator 1). */
    public boolean payloadUtf8() {
        return payloadUtf8;
    }

    /** Returns the MQTT 5.0 content type, a MIME type chosen by the publisher. */
    public Optional<String> contentType() {
        return Optional.ofNullable(contentType);
    }

    /** Returns the MQTT 5.0 response topic of a request. */
    public Optional<String> responseTopic() {
        return Optional.ofNullable(responseTopic);
    }

    /** Returns a read-only view of the MQTT 5.0 correlation data. */
    public Optional<ByteBuffer> correlationData() {
        return correlationData == null ? Optional.empty() : Optional.of(correlationData.duplicate());
    }

    /** Returns the MQTT 5.0 message expiry interval in seconds, if the publisher set one. */
    public OptionalLong messageExpiryIntervalSeconds() {
        return messageExpiryIntervalSeconds < 0 ? OptionalLong.empty() : OptionalLong.of(messageExpiryIntervalSeconds);
    }

    /** Returns the MQTT 5.0 user properties in the order the publisher sent them. */
    public List<UserProperty> userProperties() {
        return userProperties;
    }

    /**
     * Returns the identifiers of the subscriptions that matched, on a delivered message; empty on a
     * message being published, where the broker ignores them.
     */
    public List<Integer> subscriptionIdentifiers() {
        return subscriptionIdentifiers;
    }

    @Override
    public String toString() {
        return "Message{topic='" + topic + "', qos=" + qos.value() + ", retain=" + retain
                + ", payloadBytes=" + payload.remaining() + '}';
    }

    /** Builder of {@link Message}. Not thread-safe. */
    public static final class Builder {

        private final String topic;
        private ByteBuffer payload = EMPTY;
        private Qos qos = Qos.AT_MOST_ONCE;
        private boolean retain;
        private boolean payloadUtf8;
        private String contentType;
        private String responseTopic;
        private ByteBuffer correlationData;
        private long messageExpiryIntervalSeconds = -1;
        /** The user properties in order, or null while none was set. */
        private List<UserProperty> userProperties;
        /** The subscription identifiers, or null while none was set. */
        private List<Integer> subscriptionIdentifiers;

        private Builder(String topic) {
            Objects.requireNonNull(topic, "topic");
            if (topic.isEmpty()) {
                throw new IllegalArgumentException("invalid topic: a topic name must not be empty");
            }
            this.topic = topic;
        }

        /** Sets the payload to a copy of {@code bytes}. */
        public Builder payload(byte[] bytes) {
            Objects.requireNonNull(bytes, "payload");
            this.payload = ByteBuffer.wrap(bytes.clone()).asReadOnlyBuffer();
            return this;
        }

        /** Sets the payload to a copy of the remaining bytes of {@code buffer}; its position is not moved. */
        public Builder payload(ByteBuffer buffer) {
            this.payload = copyOf(Objects.requireNonNull(buffer, "payload"));
            return this;
        }

        /** Sets the payload to the UTF-8 encoding of {@code text}. */
        public Builder payload(String text) {
            Objects.requireNonNull(text, "payload");
            this.payload = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer();
            return this;
        }

        /** Sets the QoS. Default: {@link Qos#AT_MOST_ONCE}. */
        public Builder qos(Qos qos) {
            this.qos = Objects.requireNonNull(qos, "qos");
            return this;
        }

        /** Sets the retain flag. An empty retained payload clears the topic's retained message. */
        public Builder retain(boolean retain) {
            this.retain = retain;
            return this;
        }

        /** Marks the payload as UTF-8 text (MQTT 5.0 payload format indicator). */
        public Builder payloadUtf8(boolean payloadUtf8) {
            this.payloadUtf8 = payloadUtf8;
            return this;
        }

        /** Sets the MQTT 5.0 content type. */
        public Builder contentType(String contentType) {
            this.contentType = Objects.requireNonNull(contentType, "contentType");
            return this;
        }

        /** Sets the MQTT 5.0 response topic. */
        public Builder responseTopic(String responseTopic) {
            this.responseTopic = Objects.requireNonNull(responseTopic, "responseTopic");
            return this;
        }

        /** Sets the MQTT 5.0 correlation data to a copy of {@code data}. */
        public Builder correlationData(byte[] data) {
            this.correlationData = ByteBuffer.wrap(Objects.requireNonNull(data, "correlationData").clone())
                    .asReadOnlyBuffer();
            return this;
        }

        /**
         * Sets the MQTT 5.0 message expiry interval.
         *
         * @throws IllegalArgumentException if {@code seconds} is negative or above {@value #MAX_EXPIRY_INTERVAL_SECONDS}
         */
        public Builder messageExpiryIntervalSeconds(long seconds) {
            if (seconds < 0 || seconds > MAX_EXPIRY_INTERVAL_SECONDS) {
                throw new IllegalArgumentException("invalid message expiry interval " + seconds
                        + " s: expected 0 to " + MAX_EXPIRY_INTERVAL_SECONDS);
            }
            this.messageExpiryIntervalSeconds = seconds;
            return this;
        }

        /** Appends an MQTT 5.0 user property. */
        public Builder userProperty(String name, String value) {
            UserProperty property = new UserProperty(name, value);
            if (userProperties == null) {
                userProperties = new ArrayList<>();
            }
            userProperties.add(property);
            return this;
        }

        /** Replaces the user properties with {@code properties}, in order. */
        public Builder userProperties(List<UserProperty> properties) {
            userProperties = new ArrayList<>(properties);
            return this;
        }

        /**
         * Replaces the subscription identifiers; the broker sets them on delivered messages.
         *
         * @throws IllegalArgumentException if an identifier is outside 1 to {@value #MAX_SUBSCRIPTION_IDENTIFIER}
         */
        public Builder subscriptionIdentifiers(List<Integer> identifiers) {
            for (Integer identifier : identifiers) {
                if (identifier == null || identifier < 1 || identifier > MAX_SUBSCRIPTION_IDENTIFIER) {
                    throw new IllegalArgumentException("invalid subscription identifier " + identifier
                            + ": expected 1 to " + MAX_SUBSCRIPTION_IDENTIFIER);
                }
            }
            subscriptionIdentifiers = new ArrayList<>(identifiers);
            return this;
        }

        /** Builds the message. */
        public Message build() {
            return new Message(this);
        }

        private static ByteBuffer copyOf(ByteBuffer source) {
            byte[] copy = new byte[source.remaining()];
            // An absolute get copies without moving the source's position and without a duplicate view.
            source.get(source.position(), copy);
            return ByteBuffer.wrap(copy).asReadOnlyBuffer();
        }
    }
}
