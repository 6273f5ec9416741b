package io.petrel.broker.config;

import io.petrel.broker.BrokerConfig;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Builds a {@link BrokerConfig} from a configuration file and {@code PETREL_*} environment variables.
 *
 * <p>The file is UTF-8 text with one {@code key = value} setting per line. Leading and trailing
 * spaces around keys and values are ignored, and so are blank lines and lines whose first non-blank
 * character is {@code #}. A {@code #} after a value is part of the value. Keys the file does not set
 * keep their defaults.
 *
 * <p>Then every environment variable named {@code PETREL_} plus a key in upper case with {@code .}
 * replaced by {@code _} (for example {@code PETREL_LISTENER_PORT} for {@code listener.port})
 * replaces that key's value.
 *
 * <p>The first problem stops loading with a {@link ConfigException}: an unknown key or
 * {@code PETREL_*} variable, a key set twice in the file, a line without {@code =}, or a value the
 * {@link BrokerConfig.Builder} rejects. Its message names the file and line or the variable, the key,
 * the value and what is allowed, e.g.
 * {@code conf/petrel.conf:7: invalid listener.port = 70000: expected an integer from 0 to 65535}.
 */
public final class ConfigLoader {

    /** Prefix of the environment variables that override configuration keys. */
    public static final String ENVIRONMENT_PREFIX = "PETREL_";

    private static final char BYTE_ORDER_MARK = '\uFEFF';

    private ConfigLoader() {
    }

    /**
     * Reads a configuration file, then applies the environment overrides.
     *
     * @param file        the configuration file; it must exist
     * @param environment the process environment, usually {@link System#getenv()}
     * @throws ConfigException if the file cannot be read or a setting is unknown or invalid
     */
    public static LoadedConfig load(Path file, Map<String, String> environment) throws ConfigException {
        BrokerConfig.Builder builder = BrokerConfig.builder();
        List<String> lines = readLines(file);
        applyFile(builder, file, lines);
        List<String> overrides = applyEnvironment(builder, environment);
        return new LoadedConfig(builder.build(), Optional.of(file), overrides);
    }

    /**
     * Starts from the built-in defaults and applies the environment overrides.
     *
     * @param environment the process environment, usually {@link System#getenv()}
     * @throws ConfigException if a {@code PETREL_*} variable is unknown or invalid
     */
    public static LoadedConfig loadDefaults(Map<String, String> environment) throws ConfigException {
        BrokerConfig.Builder builder = BrokerConfig.builder();
        List<String> overrides = applyEnvironment(builder, environment);
        return new LoadedConfig(builder.build(), Optional.empty(), overrides);
    }

    /** Returns the environment variable that overrides a key, e.g. {@code PETREL_LISTENER_PORT}. */
    public static String environmentVariable(String key) {
        Setting setting = Settings.BY_KEY.get(key);
        if (setting == null) {
            throw new IllegalArgumentException("unknown configuration key " + key);
        }
        return setting.environmentVariable();
    }

    private static List<String> readLines(Path file) throws ConfigException {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": configuration file not found", e);
        } catch (AccessDeniedException e) {
            throw new ConfigException(file + ": cannot read configuration file: permission denied", e);
        } catch (CharacterCodingException e) {
            throw new ConfigException(file + ": cannot read configuration file: not valid UTF-8", e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read configuration file: " + e.getMessage(), e);
        }
    }

    private static void applyFile(BrokerConfig.Builder builder, Path file, List<String> lines)
            throws ConfigException {
        Map<String, Integer> lineOfKey = new HashMap<>();
        for (int index = 0; index < lines.size(); index++) {
            int lineNumber = index + 1;
            String location = file + ":" + lineNumber;
            String line = lines.get(index);
            if (index == 0 && !line.isEmpty() && line.charAt(0) == BYTE_ORDER_MARK) {
                line = line.substring(1);
            }
            String content = line.strip();
            if (content.isEmpty() || content.startsWith("#")) {
                continue;
            }

            int equals = content.indexOf('=');
            if (equals < 0) {
                throw new ConfigException(location + ": invalid line '" + content + "': expected key = value");
            }
            String key = content.substring(0, equals).strip();
            String value = content.substring(equals + 1).strip();
            if (key.isEmpty()) {
                throw new ConfigException(location + ": invalid line '" + content + "': missing key before '='");
            }

            Setting setting = Settings.BY_KEY.get(key);
            if (setting == null) {
                throw new ConfigException(location + ": unknown key " + key + " = " + value
                        + ": known keys are " + String.join(", ", Settings.BY_KEY.keySet()));
            }
            Integer firstLine = lineOfKey.putIfAbsent(key, lineNumber);
            if (firstLine != null) {
                throw new ConfigException(location + ": duplicate key " + key + " = " + value
                        + ": already set on line " + firstLine);
            }
            apply(builder, setting, value, location);
        }
    }

    private static List<String> applyEnvironment(BrokerConfig.Builder builder, Map<String, String> environment)
            throws ConfigException {
        List<String> overrides = new ArrayList<>();
        // Sorted, so that with several bad variables the same one is reported on every start.
        for (Map.Entry<String, String> variable : new TreeMap<>(environment).entrySet()) {
            String name = variable.getKey();
            if (!name.startsWith(ENVIRONMENT_PREFIX)) {
                continue;
            }
            String location = "environment variable " + name;
            String value = variable.getValue().strip();
            Setting setting = Settings.BY_ENVIRONMENT_VARIABLE.get(name);
            if (setting == null) {
                throw new ConfigException(location + " = " + value
                        + ": matches no configuration key; unset it or use one of "
                        + String.join(", ", Settings.BY_ENVIRONMENT_VARIABLE.keySet()));
            }
            apply(builder, setting, value, location);
            overrides.add(name);
        }
        return overrides;
    }

    private static void apply(BrokerConfig.Builder builder, Setting setting, String value, String location)
            throws ConfigException {
        try {
            setting.apply(builder, value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(location + ": " + e.getMessage(), e);
        }
    }
}
