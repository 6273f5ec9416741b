package io.petrel.broker;

import java.util.Objects;

/**
 * Validated settings of a broker. Immutable; build one with {@link #builder()}.
 *
 * <p>Each setting has a key, used in {@code conf/petrel.conf} and in error messages, and a default.
 * Setters check their value at once and throw {@link IllegalArgumentException} naming the key, the
 * rejected value and the allowed range, so the same message reaches an embedder and an operator.
 */
public final class BrokerConfig {

    /** Largest remaining length an MQTT packet can declare (four-byte variable integer). */
    public static final int MQTT_MAX_REMAINING_LENGTH = 268_435_455;

    public static final String LISTENER_HOST = "listener.host";
    public static final String LISTENER_PORT = "listener.port";
    public static final String MAX_PACKET_SIZE_BYTES = "mqtt.max_packet_size_bytes";
    public static final String MAX_KEEPALIVE_SECONDS = "mqtt.max_keepalive_seconds";
    public static final String CONNECT_TIMEOUT_MILLIS = "mqtt.connect_timeout_ms";
    public static final String MAX_CLIENT_ID_LENGTH = "mqtt.max_client_id_length";
    public static final String MAX_QUEUED_MESSAGES = "session.max_queued_messages";
    public static final String MAX_INFLIGHT_MESSAGES = "session.max_inflight_messages";
    public static final String IO_THREADS = "threads.io";
    public static final String HANDLER_THREADS = "threads.handlers";

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 1883;
    public static final int DEFAULT_MAX_PACKET_SIZE_BYTES = 1_048_576;
    public static final int DEFAULT_MAX_KEEPALIVE_SECONDS = 65_535;
    public static final int DEFAULT_CONNECT_TIMEOUT_MILLIS = 10_000;
    public static final int DEFAULT_MAX_CLIENT_ID_LENGTH = 256;
    public static final int DEFAULT_MAX_QUEUED_MESSAGES = 1_000;
    public static final int DEFAULT_MAX_INFLIGHT_MESSAGES = 20;

    private final String host;
    private final int port;
    private final int maxPacketSizeBytes;
    private final int maxKeepAliveSeconds;
    private final int connectTimeoutMillis;
    private final int maxClientIdLength;
    private final int maxQueuedMessages;
    private final int maxInflightMessages;
    private final int ioThreads;
    private final int handlerThreads;

    private BrokerConfig(Builder builder) {
        this.host = builder.host;
        this.port = builder.port;
        this.maxPacketSizeBytes = builder.maxPacketSizeBytes;
        this.maxKeepAliveSeconds = builder.maxKeepAliveSeconds;
        this.connectTimeoutMillis = builder.connectTimeoutMillis;
        this.maxClientIdLength = builder.maxClientIdLength;
        this.maxQueuedMessages = builder.maxQueuedMessages;
        this.maxInflightMessages = builder.maxInflightMessages;
        this.ioThreads = builder.ioThreads;
        this.handlerThreads = builder.handlerThreads;
    }

    /** Returns a builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the defaults: a listener on 127.0.0.1:1883. */
    public static BrokerConfig defaults() {
        return new Builder().build();
    }

    /** Returns a builder that starts from this configuration. */
    public Builder toBuilder() {
        return new Builder()
                .host(host)
                .port(port)
                .maxPacketSizeBytes(maxPacketSizeBytes)
                .maxKeepAliveSeconds(maxKeepAliveSeconds)
                .connectTimeoutMillis(connectTimeoutMillis)
                .maxClientIdLength(maxClientIdLength)
                .maxQueuedMessages(maxQueuedMessages)
                .maxInflightMessages(maxInflightMessages)
                .ioThreads(ioThreads)
                .handlerThreads(handlerThreads);
    }

    /** Returns the address the TCP listener binds to. */
    public String host() {
        return host;
    }

    /** Returns the TCP listener port; 0 binds an ephemeral port. */
    public int port() {
        return port;
    }

    /** Returns the largest packet, fixed header included, that a client may send. */
    public int maxPacketSizeBytes() {
        return maxPacketSizeBytes;
    }

    /** Returns the largest keepalive a client may ask for. */
    public int maxKeepAliveSeconds() {
        return maxKeepAliveSeconds;
    }

    /** Returns how long a new connection may take to send CONNECT before it is closed. */
    public int connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    /** Returns the longest client identifier accepted, in UTF-8 bytes. */
    public int maxClientIdLength() {
        return maxClientIdLength;
    }

    /**
     * Returns how many QoS 1 and 2 messages a session may hold beyond its in-flight window, while
     * connected or offline; further messages are dropped and counted.
     */
    public int maxQueuedMessages() {
        return maxQueuedMessages;
    }

    /** Returns how many outbound QoS 1 and 2 messages may await acknowledgement per client. */
    public int maxInflightMessages() {
        return maxInflightMessages;
    }

    /** Returns the number of network event-loop threads; 0 means one per available processor. */
    public int ioThreads() {
        return ioThreads;
    }

    /** Returns the size of the shared in-process handler pool; 0 means one per available processor. */
    public int handlerThreads() {
        return handlerThreads;
    }

    @Override
    public String toString() {
        return LISTENER_HOST + '=' + host
                + ", " + LISTENER_PORT + '=' + port
                + ", " + MAX_PACKET_SIZE_BYTES + '=' + maxPacketSizeBytes
                + ", " + MAX_KEEPALIVE_SECONDS + '=' + maxKeepAliveSeconds
                + ", " + CONNECT_TIMEOUT_MILLIS + '=' + connectTimeoutMillis
                + ", " + MAX_CLIENT_ID_LENGTH + '=' + maxClientIdLength
                + ", " + MAX_QUEUED_MESSAGES + '=' + maxQueuedMessages
                + ", " + MAX_INFLIGHT_MESSAGES + '=' + maxInflightMessages
                + ", " + IO_THREADS + '=' + ioThreads
                + ", " + HANDLER_THREADS + '=' + handlerThreads;
    }

    /** Builder of {@link BrokerConfig}; each setter validates its value. Not thread-safe. */
    public static final class Builder {

        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int maxPacketSizeBytes = DEFAULT_MAX_PACKET_SIZE_BYTES;
        private int maxKeepAliveSeconds = DEFAULT_MAX_KEEPALIVE_SECONDS;
        private int connectTimeoutMillis = DEFAULT_CONNECT_TIMEOUT_MILLIS;
        private int maxClientIdLength = DEFAULT_MAX_CLIENT_ID_LENGTH;
        private int maxQueuedMessages = DEFAULT_MAX_QUEUED_MESSAGES;
        private int maxInflightMessages = DEFAULT_MAX_INFLIGHT_MESSAGES;
        private int ioThreads;
        private int handlerThreads;

        private Builder() {
        }

        /** Sets the listener address, a host name or an IP literal such as {@code 0.0.0.0}. */
        public Builder host(String host) {
            Objects.requireNonNull(host, LISTENER_HOST);
            if (host.isBlank()) {
                throw new IllegalArgumentException("invalid " + LISTENER_HOST
                        + " = '': expected a host name or IP address such as 127.0.0.1");
            }
            this.host = host.strip();
            return this;
        }

        /** Sets the listener port, 0 to 65535; 0 binds an ephemeral port. */
        public Builder port(int port) {
            this.port = checkRange(LISTENER_PORT, port, 0, 65_535);
            return this;
        }

        /** Sets the largest inbound packet, 128 to 268,435,455 bytes plus the fixed header. */
        public Builder maxPacketSizeBytes(int bytes) {
            this.maxPacketSizeBytes = checkRange(MAX_PACKET_SIZE_BYTES, bytes, 128, MQTT_MAX_REMAINING_LENGTH + 5);
            return this;
        }

        /** Sets the largest keepalive a client may request, 1 to 65,535 seconds. */
        public Builder maxKeepAliveSeconds(int seconds) {
            this.maxKeepAliveSeconds = checkRange(MAX_KEEPALIVE_SECONDS, seconds, 1, 65_535);
            return this;
        }

        /** Sets how long a connection may wait before sending CONNECT, 100 to 600,000 ms. */
        public Builder connectTimeoutMillis(int millis) {
            this.connectTimeoutMillis = checkRange(CONNECT_TIMEOUT_MILLIS, millis, 100, 600_000);
            return this;
        }

        /** Sets the longest client identifier, 23 to 65,535 bytes (23 is the MQTT 3.1 limit). */
        public Builder maxClientIdLength(int bytes) {
            this.maxClientIdLength = checkRange(MAX_CLIENT_ID_LENGTH, bytes, 23, 65_535);
            return this;
        }

        /** Sets the per-session queue bound, 1 to 10,000,000 messages. */
        public Builder maxQueuedMessages(int messages) {
            this.maxQueuedMessages = checkRange(MAX_QUEUED_MESSAGES, messages, 1, 10_000_000);
            return this;
        }

        /** Sets the outbound in-flight window per client, 1 to 65,535 messages. */
        public Builder maxInflightMessages(int messages) {
            this.maxInflightMessages = checkRange(MAX_INFLIGHT_MESSAGES, messages, 1, 65_535);
            return this;
        }

        /** Sets the number of network event-loop threads, 0 (one per processor) to 1,024. */
        public Builder ioThreads(int threads) {
            this.ioThreads = checkRange(IO_THREADS, threads, 0, 1_024);
            return this;
        }

        /** Sets the size of the shared in-process handler pool, 0 (one per processor) to 1,024. */
        public Builder handlerThreads(int threads) {
            this.handlerThreads = checkRange(HANDLER_THREADS, threads, 0, 1_024);
            return this;
        }

        /** Builds the configuration. */
        public BrokerConfig build() {
            return new BrokerConfig(this);
        }

        private static int checkRange(String key, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException("invalid " + key + " = " + value
                        + ": expected an integer from " + min + " to " + max);
            }
            return value;
        }
    }
}
