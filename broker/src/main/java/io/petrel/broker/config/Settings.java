package io.petrel.broker.config;

import io.petrel.broker.BrokerConfig;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every key that {@code petrel.conf} and the {@code PETREL_*} environment variables may set, in the
 * order of the example configuration file. A key added to {@link BrokerConfig} must be added here.
 */
final class Settings {

    /** Settings by key, in a stable order for messages that list the known keys. */
    static final Map<String, Setting> BY_KEY = index(
            Setting.text(BrokerConfig.LISTENER_HOST, BrokerConfig.Builder::host),
            Setting.integer(BrokerConfig.LISTENER_PORT, 0, 65_535, BrokerConfig.Builder::port),
            Setting.integer(BrokerConfig.MAX_PACKET_SIZE_BYTES, 128, BrokerConfig.MQTT_MAX_REMAINING_LENGTH + 5,
                    BrokerConfig.Builder::maxPacketSizeBytes),
            Setting.integer(BrokerConfig.MAX_KEEPALIVE_SECONDS, 1, 65_535, BrokerConfig.Builder::maxKeepAliveSeconds),
            Setting.integer(BrokerConfig.CONNECT_TIMEOUT_MILLIS, 100, 600_000,
                    BrokerConfig.Builder::connectTimeoutMillis),
            Setting.integer(BrokerConfig.MAX_CLIENT_ID_LENGTH, 23, 65_535, BrokerConfig.Builder::maxClientIdLength),
            Setting.integer(BrokerConfig.MAX_QUEUED_MESSAGES, 1, 10_000_000, BrokerConfig.Builder::maxQueuedMessages),
            Setting.integer(BrokerConfig.MAX_INFLIGHT_MESSAGES, 1, 65_535, BrokerConfig.Builder::maxInflightMessages),
            Setting.integer(BrokerConfig.RECEIVE_MAXIMUM, 1, 65_535, BrokerConfig.Builder::receiveMaximum),
            Setting.integer(BrokerConfig.MAX_PUBLISH_RATE, 0, 1_000_000, BrokerConfig.Builder::maxPublishRate),
            Setting.integer(BrokerConfig.TOPIC_ALIAS_MAXIMUM, 0, 65_535, BrokerConfig.Builder::topicAliasMaximum),
            Setting.integer(BrokerConfig.MAXIMUM_QOS, 0, 2, BrokerConfig.Builder::maximumQos),
            Setting.bool(BrokerConfig.RETAIN_AVAILABLE, BrokerConfig.Builder::retainAvailable),
            Setting.bool(BrokerConfig.WILDCARD_SUBSCRIPTIONS, BrokerConfig.Builder::wildcardSubscriptions),
            Setting.bool(BrokerConfig.SUBSCRIPTION_IDENTIFIERS, BrokerConfig.Builder::subscriptionIdentifiers),
            Setting.bool(BrokerConfig.SHARED_SUBSCRIPTIONS, BrokerConfig.Builder::sharedSubscriptions),
            Setting.bool(BrokerConfig.OUTBOUND_TOPIC_ALIASES, BrokerConfig.Builder::outboundTopicAliases),
            Setting.text(BrokerConfig.RESPONSE_INFORMATION, BrokerConfig.Builder::responseInformation),
            Setting.bool(BrokerConfig.VALIDATE_UTF8_PAYLOADS, BrokerConfig.Builder::validateUtf8Payloads),
            Setting.integer(BrokerConfig.IO_THREADS, 0, 1_024, BrokerConfig.Builder::ioThreads),
            Setting.integer(BrokerConfig.HANDLER_THREADS, 0, 1_024, BrokerConfig.Builder::handlerThreads),
            Setting.integer(BrokerConfig.HOOK_TIMEOUT_MILLIS, 1, 600_000, BrokerConfig.Builder::hookTimeoutMillis),
            Setting.integer(BrokerConfig.AUTHORIZATION_CACHE_SIZE, 0, 100_000_000,
                    BrokerConfig.Builder::authorizationCacheSize),
            Setting.integer(BrokerConfig.AUTHORIZATION_CACHE_EXPIRY_SECONDS, 0, 86_400,
                    BrokerConfig.Builder::authorizationCacheExpirySeconds),
            Setting.bool(BrokerConfig.PERSISTENCE_ENABLED, BrokerConfig.Builder::persistenceEnabled),
            Setting.text(BrokerConfig.PERSISTENCE_DIR, BrokerConfig.Builder::persistenceDir),
            Setting.size(BrokerConfig.PERSISTENCE_MAX_SIZE, BrokerConfig.Builder::persistenceMaxSizeBytes),
            Setting.size(BrokerConfig.PERSISTENCE_MIN_FREE_SPACE, BrokerConfig.Builder::persistenceMinFreeSpaceBytes),
            Setting.text(BrokerConfig.PERSISTENCE_SYNC, BrokerConfig.Builder::persistenceSync),
            Setting.duration(BrokerConfig.DEAD_LETTERS_MAX_AGE, BrokerConfig.Builder::deadLettersMaxAge),
            Setting.size(BrokerConfig.DEAD_LETTERS_MAX_SIZE, BrokerConfig.Builder::deadLettersMaxSizeBytes));

    /** Settings by environment variable name, e.g. {@code PETREL_LISTENER_PORT}. */
    static final Map<String, Setting> BY_ENVIRONMENT_VARIABLE = indexByVariable();

    private Settings() {
    }

    private static Map<String, Setting> index(Setting... settings) {
        Map<String, Setting> byKey = new LinkedHashMap<>();
        for (Setting setting : settings) {
            if (byKey.put(setting.key(), setting) != null) {
                throw new IllegalStateException("duplicate setting " + setting.key());
            }
        }
        return Collections.unmodifiableMap(byKey);
    }

    private static Map<String, Setting> indexByVariable() {
        Map<String, Setting> byVariable = new LinkedHashMap<>();
        for (Setting setting : BY_KEY.values()) {
            Setting previous = byVariable.put(setting.environmentVariable(), setting);
            if (previous != null) {
                throw new IllegalStateException("keys " + previous.key() + " and " + setting.key()
                        + " map to the same environment variable " + setting.environmentVariable());
            }
        }
        return Collections.unmodifiableMap(byVariable);
    }
}
