package io.petrel.api;

import java.util.Objects;

/**
 * One MQTT 5.0 user property: a name and value pair that the broker forwards unchanged.
 * The same name may appear several times in one message.
 *
 * @param name  the property name, never null
 * @param value the property value, never null
 */
public record UserProperty(String name, String value) {

    /** Checks that both parts are present. */
    public UserProperty {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }
}
