package io.petrel.broker.config;

import io.petrel.broker.BrokerConfig;
import java.time.Duration;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.ObjIntConsumer;
import java.util.function.ObjLongConsumer;

/**
 * One configuration key and the {@link BrokerConfig.Builder} setter that its text value feeds.
 *
 * <p>The builder checks each value and names the key, the value and the allowed range when it rejects
 * one. An integer setting also carries that range itself, only to explain a value that is not an
 * integer at all; {@code SettingsTest} checks that both ranges agree.
 */
final class Setting {

    private final String key;
    private final String environmentVariable;
    private final BiConsumer<BrokerConfig.Builder, String> setter;

    private Setting(String key, BiConsumer<BrokerConfig.Builder, String> setter) {
        this.key = key;
        this.environmentVariable = ConfigLoader.ENVIRONMENT_PREFIX
                + key.toUpperCase(Locale.ROOT).replace('.', '_');
        this.setter = setter;
    }

    /** Creates a setting whose text value is passed to the builder unchanged. */
    static Setting text(String key, BiConsumer<BrokerConfig.Builder, String> setter) {
        return new Setting(key, setter);
    }

    /** Creates a setting whose value must be a decimal integer from {@code min} to {@code max}. */
    static Setting integer(String key, int min, int max, ObjIntConsumer<BrokerConfig.Builder> setter) {
        return new Setting(key, (builder, value) -> setter.accept(builder, parseInteger(key, value, min, max)));
    }

    /** Creates a setting whose value is a size in bytes with an optional unit, such as {@code 512MB}. */
    static Setting size(String key, ObjLongConsumer<BrokerConfig.Builder> setter) {
        return new Setting(key, (builder, value) -> setter.accept(builder, Quantities.parseBytes(key, value)));
    }

    /** Creates a setting whose value is a duration with a unit, such as {@code 7d}, or 0. */
    static Setting duration(String key, BiConsumer<BrokerConfig.Builder, Duration> setter) {
        return new Setting(key, (builder, value) -> setter.accept(builder, Quantities.parseDuration(key, value)));
    }

    /** Creates a setting whose value must be {@code true} or {@code false}. */
    static Setting bool(String key, BiConsumer<BrokerConfig.Builder, Boolean> setter) {
        return new Setting(key, (builder, value) -> setter.accept(builder, parseBoolean(key, value)));
    }

    /** Returns the key as written in {@code petrel.conf}, e.g. {@code listener.port}. */
    String key() {
        return key;
    }

    /** Returns the environment variable that overrides this key, e.g. {@code PETREL_LISTENER_PORT}. */
    String environmentVariable() {
        return environmentVariable;
    }

    /**
     * Applies a value to the builder.
     *
     * @throws IllegalArgumentException naming the key, the value and what is allowed, if the value is
     *                                  rejected
     */
    void apply(BrokerConfig.Builder builder, String value) {
        setter.accept(builder, value);
    }

    private static boolean parseBoolean(String key, String value) {
        if (value.equals("true")) {
            return true;
        }
        if (value.equals("false")) {
            return false;
        }
        String displayedValue = value.isEmpty() ? "''" : value;
        throw new IllegalArgumentException("invalid " + key + " = " + displayedValue + ": expected true or false");
    }

    private static int parseInteger(String key, String value, int min, int max) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            String displayedValue = value.isEmpty() ? "''" : value;
            throw new IllegalArgumentException("invalid " + key + " = " + displayedValue
                    + ": expected an integer from " + min + " to " + max, e);
        }
    }
}
