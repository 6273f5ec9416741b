package io.petrel.broker.config;

import io.petrel.broker.BrokerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A validated configuration and where its values came from, for the start-up log.
 *
 * @param config               the broker configuration
 * @param file                 the configuration file read, or empty when the built-in defaults were
 *                             the base
 * @param environmentOverrides the {@code PETREL_*} variables that replaced a value, sorted by name
 */
public record LoadedConfig(BrokerConfig config, Optional<Path> file, List<String> environmentOverrides) {

    /** Checks for null and copies the override list so the record stays immutable. */
    public LoadedConfig {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(file, "file");
        environmentOverrides = List.copyOf(environmentOverrides);
    }

    /** Returns the file name, or {@code built-in defaults} when no file was read. */
    public String source() {
        return file.map(Path::toString).orElse("built-in defaults");
    }
}
