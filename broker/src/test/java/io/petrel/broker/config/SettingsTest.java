package io.petrel.broker.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.api.store.StoreOptions;
import io.petrel.broker.BrokerConfig;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SettingsTest {

    private static final Pattern RANGE = Pattern.compile("expected an integer from (-?\\d+) to (-?\\d+)$");

    /** Every key constant of BrokerConfig (a String constant not named DEFAULT_*) must be settable. */
    @Test
    void everyBrokerConfigKeyHasSetting() throws IllegalAccessException {
        List<String> keys = new ArrayList<>();
        for (Field field : BrokerConfig.class.getFields()) {
            boolean constant = Modifier.isStatic(field.getModifiers()) && Modifier.isFinal(field.getModifiers());
            if (constant && field.getType() == String.class && !field.getName().startsWith("DEFAULT_")) {
                keys.add((String) field.get(null));
            }
        }

        assertTrue(keys.size() >= 10, "too few key constants found: " + keys);
        for (String key : keys) {
            assertTrue(Settings.BY_KEY.containsKey(key), "no setting for key " + key);
        }
        assertEquals(keys.size(), Settings.BY_KEY.size(), "settings without a BrokerConfig key");
    }

    /**
     * The range an integer setting names for a non-integer value must be the range its builder setter
     * enforces: the bounds are accepted, the values just outside are rejected.
     */
    @Test
    void integerRangesMatchBuilder() {
        int integerSettings = 0;
        for (Setting setting : Settings.BY_KEY.values()) {
            IllegalArgumentException notInteger = rejection(setting, "x");
            if (notInteger == null || !notInteger.getMessage().contains("expected an integer")) {
                continue;
            }
            integerSettings++;
            Matcher range = RANGE.matcher(notInteger.getMessage());
            assertTrue(range.find(), notInteger.getMessage());
            long min = Long.parseLong(range.group(1));
            long max = Long.parseLong(range.group(2));

            assertDoesNotThrow(() -> setting.apply(BrokerConfig.builder(), Long.toString(min)), setting.key());
            assertDoesNotThrow(() -> setting.apply(BrokerConfig.builder(), Long.toString(max)), setting.key());
            assertThrows(IllegalArgumentException.class,
                    () -> setting.apply(BrokerConfig.builder(), Long.toString(min - 1)), setting.key());
            assertThrows(IllegalArgumentException.class,
                    () -> setting.apply(BrokerConfig.builder(), Long.toString(max + 1)), setting.key());
        }
        assertEquals(Settings.BY_KEY.size() - NON_INTEGER_KEYS.size(), integerSettings,
                "every key but " + NON_INTEGER_KEYS + " is an integer");
    }

    @Test
    void booleanSettingsRejectOtherWords() {
        for (String key : List.of(BrokerConfig.RETAIN_AVAILABLE, BrokerConfig.WILDCARD_SUBSCRIPTIONS,
                BrokerConfig.SUBSCRIPTION_IDENTIFIERS, BrokerConfig.SHARED_SUBSCRIPTIONS,
                BrokerConfig.OUTBOUND_TOPIC_ALIASES, BrokerConfig.VALIDATE_UTF8_PAYLOADS)) {
            IllegalArgumentException rejected = rejection(Settings.BY_KEY.get(key), "yes");
            assertNotNull(rejected, key);
            assertEquals("invalid " + key + " = yes: expected true or false", rejected.getMessage());
            assertNull(rejection(Settings.BY_KEY.get(key), "false"), key);
        }
    }

    @Test
    void environmentVariablesAreUnique() {
        assertEquals(Settings.BY_KEY.size(), Settings.BY_ENVIRONMENT_VARIABLE.size());
    }

    @Test
    void persistenceDirRejectsInvalidPath() {
        Setting setting = Settings.BY_KEY.get(BrokerConfig.PERSISTENCE_DIR);

        IllegalArgumentException blank = rejection(setting, " ");
        IllegalArgumentException withNul = rejection(setting, "data\0dir");

        assertNotNull(blank, "blank path rejected");
        assertTrue(blank.getMessage().startsWith("invalid persistence.dir = ''"), blank.getMessage());
        assertNotNull(withNul, "path with U+0000 rejected");
        assertTrue(withNul.getMessage().contains("not a valid path"), withNul.getMessage());
        assertNull(rejection(setting, "/var/lib/petrel"), "absolute path accepted");
    }

    @Test
    void persistenceSettingsFillStoreOptions() {
        BrokerConfig.Builder builder = BrokerConfig.builder();
        Settings.BY_KEY.get(BrokerConfig.PERSISTENCE_MAX_SIZE).apply(builder, "512MB");
        Settings.BY_KEY.get(BrokerConfig.PERSISTENCE_MIN_FREE_SPACE).apply(builder, "1GB");
        Settings.BY_KEY.get(BrokerConfig.PERSISTENCE_SYNC).apply(builder, "batch");
        Settings.BY_KEY.get(BrokerConfig.DEAD_LETTERS_MAX_AGE).apply(builder, "7d");
        Settings.BY_KEY.get(BrokerConfig.DEAD_LETTERS_MAX_SIZE).apply(builder, "100KB");

        StoreOptions options = builder.build().storeOptions();

        assertEquals(512L * 1024 * 1024, options.maxDataBytes());
        assertEquals(1024L * 1024 * 1024, options.minFreeBytes());
        assertEquals(StoreOptions.Sync.BATCH, options.sync());
        assertEquals(Duration.ofDays(7), options.deadLetterMaxAge());
        assertEquals(100L * 1024, options.deadLetterMaxBytes());
    }

    @Test
    void persistenceSyncIgnoresCase() {
        BrokerConfig.Builder builder = BrokerConfig.builder();
        Settings.BY_KEY.get(BrokerConfig.PERSISTENCE_SYNC).apply(builder, "BATCH");

        assertEquals(StoreOptions.Sync.BATCH, builder.build().storeOptions().sync());
    }

    @Test
    void persistenceDefaultsKeepEverything() {
        StoreOptions options = BrokerConfig.defaults().storeOptions();

        assertEquals(StoreOptions.defaults(), options);
        assertEquals(0, options.maxDataBytes());
        assertEquals(StoreOptions.Sync.NONE, options.sync());
        assertNull(options.deadLetterMaxAge());
    }

    @Test
    void persistenceSyncRejectsUnknownMode() {
        IllegalArgumentException rejected = rejection(Settings.BY_KEY.get(BrokerConfig.PERSISTENCE_SYNC), "always");

        assertNotNull(rejected, "unknown mode rejected");
        assertEquals("invalid persistence.sync = always: expected none or batch", rejected.getMessage());
    }

    @Test
    void sizeSettingsRejectInvalidValues() {
        for (String key : List.of(BrokerConfig.PERSISTENCE_MAX_SIZE, BrokerConfig.PERSISTENCE_MIN_FREE_SPACE,
                BrokerConfig.DEAD_LETTERS_MAX_SIZE)) {
            for (String value : List.of("", "-1", "12XB", "1.5GB", "MB", "99999999999TB")) {
                IllegalArgumentException rejected = rejection(Settings.BY_KEY.get(key), value);

                assertNotNull(rejected, key + " = " + value);
                assertTrue(rejected.getMessage().startsWith("invalid " + key + " = "), rejected.getMessage());
                assertTrue(rejected.getMessage().contains("expected"), rejected.getMessage());
            }
        }
    }

    @Test
    void deadLetterMaxAgeRejectsInvalidValues() {
        Setting setting = Settings.BY_KEY.get(BrokerConfig.DEAD_LETTERS_MAX_AGE);

        IllegalArgumentException withoutUnit = rejection(setting, "7");
        IllegalArgumentException unknownUnit = rejection(setting, "7w");

        assertNotNull(withoutUnit, "duration without unit rejected");
        assertEquals("invalid persistence.dead_letters.max_age = 7: expected " + Quantities.DURATION_FORM,
                withoutUnit.getMessage());
        assertNotNull(unknownUnit, "unknown unit rejected");
        assertNull(rejection(setting, "0"), "0 keeps dead letters");
    }

    private static final List<String> NON_INTEGER_KEYS = List.of(BrokerConfig.LISTENER_HOST,
            BrokerConfig.RETAIN_AVAILABLE, BrokerConfig.WILDCARD_SUBSCRIPTIONS, BrokerConfig.SUBSCRIPTION_IDENTIFIERS,
            BrokerConfig.SHARED_SUBSCRIPTIONS, BrokerConfig.OUTBOUND_TOPIC_ALIASES, BrokerConfig.RESPONSE_INFORMATION,
            BrokerConfig.VALIDATE_UTF8_PAYLOADS, BrokerConfig.PERSISTENCE_ENABLED, BrokerConfig.PERSISTENCE_DIR,
            BrokerConfig.PERSISTENCE_MAX_SIZE, BrokerConfig.PERSISTENCE_MIN_FREE_SPACE, BrokerConfig.PERSISTENCE_SYNC,
            BrokerConfig.DEAD_LETTERS_MAX_AGE, BrokerConfig.DEAD_LETTERS_MAX_SIZE);

    private static IllegalArgumentException rejection(Setting setting, String value) {
        try {
            setting.apply(BrokerConfig.builder(), value);
            return null;
        } catch (IllegalArgumentException e) {
            return e;
        }
    }
}
