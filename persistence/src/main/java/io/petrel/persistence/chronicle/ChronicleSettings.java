package io.petrel.persistence.chronicle;

/**
 * System properties that must be set before the first Chronicle class loads. Usage analytics and the
 * start-up banner are turned off, so the broker sends no traffic and prints no banner that its
 * operator did not ask for. Chronicle's JVM-wide disk space checker and background resource releaser
 * are turned off, so that closing the stores leaves no Chronicle thread running: resources are then
 * released on the thread that closes them. A value the operator set on the command line is kept.
 */
final class ChronicleSettings {

    private ChronicleSettings() {
    }

    /** Sets the properties unless already set. Safe to call from any thread, any number of times. */
    static void apply() {
        setIfAbsent("chronicle.analytics.disable", "true");
        setIfAbsent("chronicle.announcer.disable", "true");
        setIfAbsent("chronicle.disk.monitor.disable", "true");
        setIfAbsent("background.releaser", "false");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
