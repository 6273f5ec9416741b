package io.petrel.broker;

import io.petrel.api.store.StoreOptions;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
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
    public static final String RECEIVE_MAXIMUM = "mqtt.receive_maximum";
    public static final String MAX_PUBLISH_RATE = "mqtt.max_publish_rate";
    public static final String TOPIC_ALIAS_MAXIMUM = "mqtt.topic_alias_maximum";
    public static final String MAXIMUM_QOS = "mqtt.maximum_qos";
    public static final String RETAIN_AVAILABLE = "mqtt.retain_available";
    public static final String WILDCARD_SUBSCRIPTIONS = "mqtt.wildcard_subscriptions";
    public static final String SUBSCRIPTION_IDENTIFIERS = "mqtt.subscription_identifiers";
    public static final String SHARED_SUBSCRIPTIONS = "mqtt.shared_subscriptions";
    public static final String OUTBOUND_TOPIC_ALIASES = "mqtt.outbound_topic_aliases";
    public static final String RESPONSE_INFORMATION = "mqtt.response_information";
    public static final String VALIDATE_UTF8_PAYLOADS = "mqtt.validate_utf8_payloads";
    public static final String IO_THREADS = "threads.io";
    public static final String HANDLER_THREADS = "threads.handlers";
    public static final String HOOK_TIMEOUT_MILLIS = "hooks.timeout_ms";
    public static final String AUTHORIZATION_CACHE_SIZE = "hooks.authorization_cache_size";
    public static final String AUTHORIZATION_CACHE_EXPIRY_SECONDS = "hooks.authorization_cache_expiry_seconds";
    public static final String PERSISTENCE_ENABLED = "persistence.enabled";
    public static final String PERSISTENCE_DIR = "persistence.dir";
    public static final String PERSISTENCE_MAX_SIZE = "persistence.max_size";
    public static final String PERSISTENCE_MIN_FREE_SPACE = "persistence.min_free_space";
    public static final String PERSISTENCE_SYNC = "persistence.sync";
    public static final String DEAD_LETTERS_MAX_AGE = "persistence.dead_letters.max_age";
    public static final String DEAD_LETTERS_MAX_SIZE = "persistence.dead_letters.max_size";

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 1883;
    public static final int DEFAULT_MAX_PACKET_SIZE_BYTES = 1_048_576;
    public static final int DEFAULT_MAX_KEEPALIVE_SECONDS = 65_535;
    public static final int DEFAULT_CONNECT_TIMEOUT_MILLIS = 10_000;
    public static final int DEFAULT_MAX_CLIENT_ID_LENGTH = 256;
    public static final int DEFAULT_MAX_QUEUED_MESSAGES = 1_000;
    public static final int DEFAULT_MAX_INFLIGHT_MESSAGES = 20;
    public static final int DEFAULT_RECEIVE_MAXIMUM = 100;
    public static final int DEFAULT_TOPIC_ALIAS_MAXIMUM = 10;
    public static final int DEFAULT_HOOK_TIMEOUT_MILLIS = 5_000;
    public static final int DEFAULT_AUTHORIZATION_CACHE_SIZE = 100_000;
    public static final int DEFAULT_AUTHORIZATION_CACHE_EXPIRY_SECONDS = 300;
    public static final String DEFAULT_PERSISTENCE_DIR = "./data";

    private final String host;
    private final int port;
    private final int maxPacketSizeBytes;
    private final int maxKeepAliveSeconds;
    private final int connectTimeoutMillis;
    private final int maxClientIdLength;
    private final int maxQueuedMessages;
    private final int maxInflightMessages;
    private final int receiveMaximum;
    private final int maxPublishRate;
    private final int topicAliasMaximum;
    private final int maximumQos;
    private final boolean retainAvailable;
    private final boolean wildcardSubscriptions;
    private final boolean subscriptionIdentifiers;
    private final boolean sharedSubscriptions;
    private final boolean outboundTopicAliases;
    private final String responseInformation;
    private final boolean validateUtf8Payloads;
    private final int ioThreads;
    private final int handlerThreads;
    private final int hookTimeoutMillis;
    private final int authorizationCacheSize;
    private final int authorizationCacheExpirySeconds;
    private final boolean persistenceEnabled;
    private final String persistenceDir;
    private final StoreOptions storeOptions;

    private BrokerConfig(Builder builder) {
        this.host = builder.host;
        this.port = builder.port;
        this.maxPacketSizeBytes = builder.maxPacketSizeBytes;
        this.maxKeepAliveSeconds = builder.maxKeepAliveSeconds;
        this.connectTimeoutMillis = builder.connectTimeoutMillis;
        this.maxClientIdLength = builder.maxClientIdLength;
        this.maxQueuedMessages = builder.maxQueuedMessages;
        this.maxInflightMessages = builder.maxInflightMessages;
        this.receiveMaximum = builder.receiveMaximum;
        this.maxPublishRate = builder.maxPublishRate;
        this.topicAliasMaximum = builder.topicAliasMaximum;
        this.maximumQos = builder.maximumQos;
        this.retainAvailable = builder.retainAvailable;
        this.wildcardSubscriptions = builder.wildcardSubscriptions;
        this.subscriptionIdentifiers = builder.subscriptionIdentifiers;
        this.sharedSubscriptions = builder.sharedSubscriptions;
        this.outboundTopicAliases = builder.outboundTopicAliases;
        this.responseInformation = builder.responseInformation;
        this.validateUtf8Payloads = builder.validateUtf8Payloads;
        this.ioThreads = builder.ioThreads;
        this.handlerThreads = builder.handlerThreads;
        this.hookTimeoutMillis = builder.hookTimeoutMillis;
        this.authorizationCacheSize = builder.authorizationCacheSize;
        this.authorizationCacheExpirySeconds = builder.authorizationCacheExpirySeconds;
        this.persistenceEnabled = builder.persistenceEnabled;
        this.persistenceDir = builder.persistenceDir;
        this.storeOptions = builder.storeOptions.build();
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
                .receiveMaximum(receiveMaximum)
                .maxPublishRate(maxPublishRate)
                .topicAliasMaximum(topicAliasMaximum)
                .maximumQos(maximumQos)
                .retainAvailable(retainAvailable)
                .wildcardSubscriptions(wildcardSubscriptions)
                .subscriptionIdentifiers(subscriptionIdentifiers)
                .sharedSubscriptions(sharedSubscriptions)
                .outboundTopicAliases(outboundTopicAliases)
                .responseInformation(responseInformation)
                .validateUtf8Payloads(validateUtf8Payloads)
                .ioThreads(ioThreads)
                .handlerThreads(handlerThreads)
                .hookTimeoutMillis(hookTimeoutMillis)
                .authorizationCacheSize(authorizationCacheSize)
                .authorizationCacheExpirySeconds(authorizationCacheExpirySeconds)
                .persistenceEnabled(persistenceEnabled)
                .persistenceDir(persistenceDir)
                .persistenceMaxSizeBytes(storeOptions.maxDataBytes())
                .persistenceMinFreeSpaceBytes(storeOptions.minFreeBytes())
                .persistenceSync(storeOptions.sync())
                .deadLettersMaxAge(storeOptions.deadLetterMaxAge())
                .deadLettersMaxSizeBytes(storeOptions.deadLetterMaxBytes());
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

    /**
     * Returns how long a new connection may take to send CONNECT before it is closed. One check per
     * event loop runs every 250 ms, so the connection is closed up to 250 ms after this time (later
     * only while its event loop is busy), and never before it.
     */
    public int connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    /** Returns the longest client identifier accepted, in UTF-8 bytes. */
    public int maxClientIdLength() {
        return maxClientIdLength;
    }

    /**
     * Returns how many messages a session may hold beyond its in-flight window: QoS 1 and 2 messages
     * while connected or offline, QoS 0 messages while connected. Further messages are dropped and
     * counted.
     */
    public int maxQueuedMessages() {
        return maxQueuedMessages;
    }

    /** Returns how many outbound QoS 1 and 2 messages may await acknowledgement per client. */
    public int maxInflightMessages() {
        return maxInflightMessages;
    }

    /**
     * Returns how many inbound QoS 1 and 2 messages an MQTT 5.0 client may have unacknowledged
     * (Receive Maximum in CONNACK). A client that sends more is disconnected with reason 0x93.
     */
    public int receiveMaximum() {
        return receiveMaximum;
    }

    /**
     * Returns how many PUBLISH packets per second one client may send, 0 for no limit. A client that
     * sends more is disconnected (MQTT 5.0: reason 0x97, quota exceeded).
     */
    public int maxPublishRate() {
        return maxPublishRate;
    }

    /** Returns how many topic aliases an MQTT 5.0 client may use towards the broker; 0 disables them. */
    public int topicAliasMaximum() {
        return topicAliasMaximum;
    }

    /** Returns the highest QoS the broker accepts from MQTT 5.0 clients and grants, 0 to 2. */
    public int maximumQos() {
        return maximumQos;
    }

    /** Returns true if clients may publish retained messages. */
    public boolean retainAvailable() {
        return retainAvailable;
    }

    /** Returns true if topic filters may contain wildcards. */
    public boolean wildcardSubscriptions() {
        return wildcardSubscriptions;
    }

    /** Returns true if MQTT 5.0 subscription identifiers are supported. */
    public boolean subscriptionIdentifiers() {
        return subscriptionIdentifiers;
    }

    /** Returns true if {@code $share/} subscriptions are supported. */
    public boolean sharedSubscriptions() {
        return sharedSubscriptions;
    }

    /** Returns true if the broker assigns topic aliases to clients that accept them. */
    public boolean outboundTopicAliases() {
        return outboundTopicAliases;
    }

    /**
     * Returns the Response Information prefix sent to MQTT 5.0 clients that request it, followed by
     * their client identifier; empty disables it.
     */
    public String responseInformation() {
        return responseInformation;
    }

    /**
     * Returns true if a PUBLISH whose payload format indicator marks it as UTF-8 is checked, and rejected
     * with reason 0x99 when its payload is not valid UTF-8.
     */
    public boolean validateUtf8Payloads() {
        return validateUtf8Payloads;
    }

    /** Returns the number of network event-loop threads; 0 means one per available processor. */
    public int ioThreads() {
        return ioThreads;
    }

    /** Returns the size of the shared in-process handler pool; 0 means one per available processor. */
    public int handlerThreads() {
        return handlerThreads;
    }

    /**
     * Returns how long the broker waits for the stage of an authenticator or interceptor; a stage that
     * takes longer counts as that hook's failure.
     */
    public int hookTimeoutMillis() {
        return hookTimeoutMillis;
    }

    /** Returns how many authorization decisions are cached; 0 disables the cache. */
    public int authorizationCacheSize() {
        return authorizationCacheSize;
    }

    /** Returns how long a cached authorization decision is used after it was made; 0 disables the cache. */
    public int authorizationCacheExpirySeconds() {
        return authorizationCacheExpirySeconds;
    }

    /**
     * Returns true if the standalone launcher keeps retained messages and dead letters in journals
     * under {@link #persistenceDir()}. {@link PetrelBroker} itself does not read this setting: an
     * embedder passes stores to its builder or calls {@link PetrelBroker.Builder#persistence}.
     */
    public boolean persistenceEnabled() {
        return persistenceEnabled;
    }

    /**
     * Returns the data directory of the journals, as configured; a relative path is resolved against
     * the working directory of the process.
     */
    public String persistenceDir() {
        return persistenceDir;
    }

    /**
     * Returns the limits, sync mode and dead-letter retention that the launcher passes to the stores
     * under {@link #persistenceDir()}: {@value #PERSISTENCE_MAX_SIZE}, {@value #PERSISTENCE_MIN_FREE_SPACE},
     * {@value #PERSISTENCE_SYNC}, {@value #DEAD_LETTERS_MAX_AGE} and {@value #DEAD_LETTERS_MAX_SIZE}.
     */
    public StoreOptions storeOptions() {
        return storeOptions;
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
                + ", " + RECEIVE_MAXIMUM + '=' + receiveMaximum
                + ", " + MAX_PUBLISH_RATE + '=' + maxPublishRate
                + ", " + TOPIC_ALIAS_MAXIMUM + '=' + topicAliasMaximum
                + ", " + MAXIMUM_QOS + '=' + maximumQos
                + ", " + RETAIN_AVAILABLE + '=' + retainAvailable
                + ", " + WILDCARD_SUBSCRIPTIONS + '=' + wildcardSubscriptions
                + ", " + SUBSCRIPTION_IDENTIFIERS + '=' + subscriptionIdentifiers
                + ", " + SHARED_SUBSCRIPTIONS + '=' + sharedSubscriptions
                + ", " + OUTBOUND_TOPIC_ALIASES + '=' + outboundTopicAliases
                + ", " + RESPONSE_INFORMATION + "='" + responseInformation + '\''
                + ", " + VALIDATE_UTF8_PAYLOADS + '=' + validateUtf8Payloads
                + ", " + IO_THREADS + '=' + ioThreads
                + ", " + HANDLER_THREADS + '=' + handlerThreads
                + ", " + HOOK_TIMEOUT_MILLIS + '=' + hookTimeoutMillis
                + ", " + AUTHORIZATION_CACHE_SIZE + '=' + authorizationCacheSize
                + ", " + AUTHORIZATION_CACHE_EXPIRY_SECONDS + '=' + authorizationCacheExpirySeconds
                + ", " + PERSISTENCE_ENABLED + '=' + persistenceEnabled
                + ", " + PERSISTENCE_DIR + "='" + persistenceDir + '\''
                + ", " + PERSISTENCE_MAX_SIZE + '=' + storeOptions.maxDataBytes()
                + ", " + PERSISTENCE_MIN_FREE_SPACE + '=' + storeOptions.minFreeBytes()
                + ", " + PERSISTENCE_SYNC + '=' + storeOptions.sync().name().toLowerCase(Locale.ROOT)
                + ", " + DEAD_LETTERS_MAX_AGE + '=' + storeOptions.deadLetterMaxAge()
                + ", " + DEAD_LETTERS_MAX_SIZE + '=' + storeOptions.deadLetterMaxBytes();
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
        private int receiveMaximum = DEFAULT_RECEIVE_MAXIMUM;
        private int maxPublishRate;
        private int topicAliasMaximum = DEFAULT_TOPIC_ALIAS_MAXIMUM;
        private int maximumQos = 2;
        private boolean retainAvailable = true;
        private boolean wildcardSubscriptions = true;
        private boolean subscriptionIdentifiers = true;
        private boolean sharedSubscriptions = true;
        private boolean outboundTopicAliases = true;
        private String responseInformation = "";
        private boolean validateUtf8Payloads;
        private int ioThreads;
        private int handlerThreads;
        private int hookTimeoutMillis = DEFAULT_HOOK_TIMEOUT_MILLIS;
        private int authorizationCacheSize = DEFAULT_AUTHORIZATION_CACHE_SIZE;
        private int authorizationCacheExpirySeconds = DEFAULT_AUTHORIZATION_CACHE_EXPIRY_SECONDS;
        private boolean persistenceEnabled = true;
        private String persistenceDir = DEFAULT_PERSISTENCE_DIR;
        private final StoreOptions.Builder storeOptions = StoreOptions.builder();

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

        /**
         * Sets how long a connection may wait before sending CONNECT, 100 to 600,000 ms. The
         * connection is closed up to 250 ms after this time (later only while its event loop is
         * busy), never before it.
         */
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

        /** Sets the Receive Maximum for inbound QoS 1 and 2 messages, 1 to 65,535. */
        public Builder receiveMaximum(int messages) {
            this.receiveMaximum = checkRange(RECEIVE_MAXIMUM, messages, 1, 65_535);
            return this;
        }

        /**
         * Sets the PUBLISH packets per second one client may send, 0 (no limit, the default) to
         * 1,000,000. Short bursts up to one second's worth are allowed.
         */
        public Builder maxPublishRate(int messagesPerSecond) {
            this.maxPublishRate = checkRange(MAX_PUBLISH_RATE, messagesPerSecond, 0, 1_000_000);
            return this;
        }

        /** Sets the number of inbound topic aliases per client, 0 (disabled) to 65,535. */
        public Builder topicAliasMaximum(int aliases) {
            this.topicAliasMaximum = checkRange(TOPIC_ALIAS_MAXIMUM, aliases, 0, 65_535);
            return this;
        }

        /** Sets the highest QoS accepted and granted, 0 to 2. */
        public Builder maximumQos(int qos) {
            this.maximumQos = checkRange(MAXIMUM_QOS, qos, 0, 2);
            return this;
        }

        /** Sets whether clients may publish retained messages. Default: true. */
        public Builder retainAvailable(boolean available) {
            this.retainAvailable = available;
            return this;
        }

        /** Sets whether topic filters may contain wildcards. Default: true. */
        public Builder wildcardSubscriptions(boolean available) {
            this.wildcardSubscriptions = available;
            return this;
        }

        /** Sets whether MQTT 5.0 subscription identifiers are supported. Default: true. */
        public Builder subscriptionIdentifiers(boolean available) {
            this.subscriptionIdentifiers = available;
            return this;
        }

        /** Sets whether {@code $share/} subscriptions are supported. Default: true. */
        public Builder sharedSubscriptions(boolean available) {
            this.sharedSubscriptions = available;
            return this;
        }

        /** Sets whether the broker assigns topic aliases to clients that accept them. Default: true. */
        public Builder outboundTopicAliases(boolean enabled) {
            this.outboundTopicAliases = enabled;
            return this;
        }

        /** Sets the Response Information prefix; empty (the default) disables Response Information. */
        public Builder responseInformation(String prefix) {
            Objects.requireNonNull(prefix, RESPONSE_INFORMATION);
            if (prefix.indexOf('+') >= 0 || prefix.indexOf('#') >= 0 || prefix.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("invalid " + RESPONSE_INFORMATION + " = '" + prefix
                        + "': expected a topic prefix without wildcards or U+0000, such as 'responses/'");
            }
            this.responseInformation = prefix;
            return this;
        }

        /** Sets whether payloads marked as UTF-8 are validated. Default: false. */
        public Builder validateUtf8Payloads(boolean validate) {
            this.validateUtf8Payloads = validate;
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

        /** Sets how long the broker waits for an authenticator or interceptor, 1 to 600,000 ms. */
        public Builder hookTimeoutMillis(int millis) {
            this.hookTimeoutMillis = checkRange(HOOK_TIMEOUT_MILLIS, millis, 1, 600_000);
            return this;
        }

        /** Sets how many authorization decisions are cached, 0 (no cache) to 100,000,000. */
        public Builder authorizationCacheSize(int entries) {
            this.authorizationCacheSize = checkRange(AUTHORIZATION_CACHE_SIZE, entries, 0, 100_000_000);
            return this;
        }

        /** Sets how long a cached authorization decision lives, 0 (no cache) to 86,400 seconds. */
        public Builder authorizationCacheExpirySeconds(int seconds) {
            this.authorizationCacheExpirySeconds = checkRange(AUTHORIZATION_CACHE_EXPIRY_SECONDS, seconds, 0, 86_400);
            return this;
        }

        /**
         * Sets whether the standalone launcher keeps retained messages and dead letters in journals.
         * Default: true. Read by the launcher only; see {@link BrokerConfig#persistenceEnabled()}.
         */
        public Builder persistenceEnabled(boolean enabled) {
            this.persistenceEnabled = enabled;
            return this;
        }

        /**
         * Sets the data directory of the journals; a relative path is resolved against the working
         * directory. Default: {@code ./data}.
         */
        public Builder persistenceDir(String directory) {
            Objects.requireNonNull(directory, PERSISTENCE_DIR);
            if (directory.isBlank()) {
                throw new IllegalArgumentException("invalid " + PERSISTENCE_DIR
                        + " = '': expected a directory path such as ./data or /var/lib/petrel");
            }
            try {
                Path.of(directory);
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException("invalid " + PERSISTENCE_DIR + " = '" + directory
                        + "': not a valid path on this system (" + e.getReason() + ")", e);
            }
            this.persistenceDir = directory;
            return this;
        }

        /**
         * Sets the cap on the bytes of journals under the data directory; 0 means no cap. Above it the
         * stores reject new records. Default: 0.
         */
        public Builder persistenceMaxSizeBytes(long bytes) {
            storeOptions.maxDataBytes(checkNotNegative(PERSISTENCE_MAX_SIZE, bytes));
            return this;
        }

        /**
         * Sets the free space in bytes that the stores leave on the file system of the data directory.
         * Default: {@value StoreOptions#DEFAULT_MIN_FREE_BYTES} (64 MiB).
         */
        public Builder persistenceMinFreeSpaceBytes(long bytes) {
            storeOptions.minFreeBytes(checkNotNegative(PERSISTENCE_MIN_FREE_SPACE, bytes));
            return this;
        }

        /** Sets when the stores force appended records to the storage device. Default: none. */
        public Builder persistenceSync(StoreOptions.Sync sync) {
            storeOptions.sync(Objects.requireNonNull(sync, PERSISTENCE_SYNC));
            return this;
        }

        /**
         * Sets the sync mode from its name, {@code none} or {@code batch}, in any case, as the size and
         * duration units are read.
         *
         * @throws IllegalArgumentException naming the key, the value and the allowed names
         */
        public Builder persistenceSync(String name) {
            Objects.requireNonNull(name, PERSISTENCE_SYNC);
            for (StoreOptions.Sync sync : StoreOptions.Sync.values()) {
                if (sync.name().equalsIgnoreCase(name)) {
                    return persistenceSync(sync);
                }
            }
            String displayedValue = name.isEmpty() ? "''" : name;
            throw new IllegalArgumentException("invalid " + PERSISTENCE_SYNC + " = " + displayedValue
                    + ": expected none or batch");
        }

        /**
         * Sets the age after which dead letters are removed; null or zero keeps them until they are
         * replayed or purged. Default: null.
         */
        public Builder deadLettersMaxAge(Duration age) {
            if (age != null && age.isNegative()) {
                throw new IllegalArgumentException("invalid " + DEAD_LETTERS_MAX_AGE + " = " + age
                        + ": expected a duration of 0 or more");
            }
            storeOptions.deadLetterMaxAge(age);
            return this;
        }

        /**
         * Sets the bytes of dead letters kept, above which the oldest are removed; 0 means no limit.
         * Default: 0.
         */
        public Builder deadLettersMaxSizeBytes(long bytes) {
            storeOptions.deadLetterMaxBytes(checkNotNegative(DEAD_LETTERS_MAX_SIZE, bytes));
            return this;
        }

        /** Builds the configuration. */
        public BrokerConfig build() {
            return new BrokerConfig(this);
        }

        private static long checkNotNegative(String key, long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("invalid " + key + " = " + bytes + ": expected 0 or more bytes");
            }
            return bytes;
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
