package io.petrel.broker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.petrel.broker.BrokerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private static final Map<String, String> NO_ENVIRONMENT = Map.of();

    @TempDir
    Path directory;

    @Test
    void validFileSetsEveryKey() throws Exception {
        Path file = write(
                "listener.host = 0.0.0.0",
                "listener.port = 1884",
                "mqtt.max_packet_size_bytes = 2048",
                "mqtt.max_keepalive_seconds = 300",
                "mqtt.connect_timeout_ms = 5000",
                "mqtt.max_client_id_length = 64",
                "session.max_queued_messages = 50",
                "session.max_inflight_messages = 10",
                "threads.io = 2",
                "threads.handlers = 3");

        LoadedConfig loaded = ConfigLoader.load(file, NO_ENVIRONMENT);
        BrokerConfig config = loaded.config();

        assertEquals("0.0.0.0", config.host());
        assertEquals(1884, config.port());
        assertEquals(2048, config.maxPacketSizeBytes());
        assertEquals(300, config.maxKeepAliveSeconds());
        assertEquals(5000, config.connectTimeoutMillis());
        assertEquals(64, config.maxClientIdLength());
        assertEquals(50, config.maxQueuedMessages());
        assertEquals(10, config.maxInflightMessages());
        assertEquals(2, config.ioThreads());
        assertEquals(3, config.handlerThreads());
        assertEquals(Optional.of(file), loaded.file());
        assertEquals(file.toString(), loaded.source());
        assertEquals(List.of(), loaded.environmentOverrides());
    }

    @Test
    void commentsBlankLinesAndSpacesAreIgnored() throws Exception {
        Path file = write(
                "\uFEFF# a comment on the first line, after a byte order mark",
                "",
                "   # an indented comment",
                "\t listener.port\t=\t1885  ",
                "listener.host=localhost");

        BrokerConfig config = ConfigLoader.load(file, NO_ENVIRONMENT).config();

        assertEquals(1885, config.port());
        assertEquals("localhost", config.host());
    }

    @Test
    void keysLeftOutKeepDefaults() throws Exception {
        Path file = write("listener.port = 1886");

        BrokerConfig config = ConfigLoader.load(file, NO_ENVIRONMENT).config();

        assertEquals(BrokerConfig.DEFAULT_HOST, config.host());
        assertEquals(BrokerConfig.DEFAULT_MAX_PACKET_SIZE_BYTES, config.maxPacketSizeBytes());
        assertEquals(BrokerConfig.DEFAULT_MAX_QUEUED_MESSAGES, config.maxQueuedMessages());
    }

    @Test
    void environmentOverrideWinsOverFile() throws Exception {
        Path file = write("listener.port = 1887", "mqtt.max_packet_size_bytes = 4096");
        Map<String, String> environment = Map.of(
                "PETREL_LISTENER_PORT", "1888",
                "PETREL_MQTT_MAX_PACKET_SIZE_BYTES", " 8192 ");

        LoadedConfig loaded = ConfigLoader.load(file, environment);

        assertEquals(1888, loaded.config().port());
        assertEquals(8192, loaded.config().maxPacketSizeBytes());
        assertEquals(List.of("PETREL_LISTENER_PORT", "PETREL_MQTT_MAX_PACKET_SIZE_BYTES"),
                loaded.environmentOverrides());
    }

    @Test
    void environmentOverrideAppliesToDefaults() throws Exception {
        LoadedConfig loaded = ConfigLoader.loadDefaults(Map.of("PETREL_THREADS_IO", "4"));

        assertEquals(4, loaded.config().ioThreads());
        assertEquals(BrokerConfig.DEFAULT_PORT, loaded.config().port());
        assertEquals(Optional.empty(), loaded.file());
        assertEquals("built-in defaults", loaded.source());
    }

    @Test
    void variablesWithoutPrefixAreIgnored() throws Exception {
        Map<String, String> environment = Map.of("PATH", "/usr/bin", "LISTENER_PORT", "70000", "petrel_x", "1");

        LoadedConfig loaded = ConfigLoader.loadDefaults(environment);

        assertEquals(BrokerConfig.DEFAULT_PORT, loaded.config().port());
        assertEquals(List.of(), loaded.environmentOverrides());
    }

    @Test
    void unknownKeyNamesLineAndKey() throws Exception {
        Path file = write("# comment", "listener.port = 1883", "listner.host = 0.0.0.0");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, NO_ENVIRONMENT));

        assertTrue(error.getMessage().startsWith(file + ":3: unknown key listner.host = 0.0.0.0: known keys are "),
                error.getMessage());
        assertTrue(error.getMessage().contains("listener.host, listener.port"), error.getMessage());
    }

    @Test
    void unknownVariableIsRejected() {
        Map<String, String> environment = Map.of("PETREL_LISTENER_PROT", "1884");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.loadDefaults(environment));

        assertTrue(error.getMessage().startsWith("environment variable PETREL_LISTENER_PROT = 1884: "
                + "matches no configuration key; unset it or use one of "), error.getMessage());
        assertTrue(error.getMessage().contains("PETREL_LISTENER_PORT"), error.getMessage());
    }

    @Test
    void nonIntegerValueNamesAllowedRange() throws Exception {
        Path file = write("listener.port = 18x3");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, NO_ENVIRONMENT));

        assertEquals(file + ":1: invalid listener.port = 18x3: expected an integer from 0 to 65535",
                error.getMessage());
    }

    @Test
    void emptyIntegerValueIsShownQuoted() throws Exception {
        Path file = write("threads.io =");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, NO_ENVIRONMENT));

        assertEquals(file + ":1: invalid threads.io = '': expected an integer from 0 to 1024", error.getMessage());
    }

    @Test
    void integerBeyondIntRangeNamesAllowedRange() throws Exception {
        Path file = write("session.max_queued_messages = 99999999999");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, NO_ENVIRONMENT));

        assertEquals(file + ":1: invalid session.max_queued_messages = 99999999999: "
                + "expected an integer from 1 to 10000000", error.getMessage());
    }

    @Test
    void outOfRangeValueNamesRange() throws Exception {
        Path file = write("", "", "", "", "", "", "listener.port = 70000");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, NO_ENVIRONMENT));

        assertEquals(file + ":7: invalid listener.port = 70000: expected an integer from 0 to 65535",
                error.getMessage());
    }

    @Test
    void blankHostIsRejected() throws Exception {
        Path file = write("listener.host =   ");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, NO_ENVIRONMENT));

        assertTrue(error.getMessage().startsWith(file + ":1: invalid listener.host = '': expected a host name"),
                error.getMessage());
    }

    @Test
    void invalidVariableValueNamesVariable() throws Exception {
        Path file = write("listener.port = 1883");
        Map<String, String> environment = Map.of("PETREL_SESSION_MAX_INFLIGHT_MESSAGES", "0");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, environment));

        assertEquals("environment variable PETREL_SESSION_MAX_INFLIGHT_MESSAGES: "
                + "invalid session.max_inflight_messages = 0: expected an integer from 1 to 65535",
                error.getMessage());
    }

    @Test
    void lineWithoutEqualsSignNamesLine() throws Exception {
        Path file = write("listener.host = 127.0.0.1", "listener.port 1883");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, NO_ENVIRONMENT));

        assertEquals(file + ":2: invalid line 'listener.port 1883': expected key = value", error.getMessage());
    }

    @Test
    void lineWithoutKeyNamesLine() throws Exception {
        Path file = write(" = 1883");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, NO_ENVIRONMENT));

        assertEquals(file + ":1: invalid line '= 1883': missing key before '='", error.getMessage());
    }

    @Test
    void duplicateKeyNamesBothLines() throws Exception {
        Path file = write("listener.port = 1883", "# the same key again", "listener.port = 1884");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, NO_ENVIRONMENT));

        assertEquals(file + ":3: duplicate key listener.port = 1884: already set on line 1", error.getMessage());
    }

    @Test
    void hashAfterValueIsPartOfValue() throws Exception {
        Path file = write("listener.port = 1883 # default");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, NO_ENVIRONMENT));

        assertEquals(file + ":1: invalid listener.port = 1883 # default: expected an integer from 0 to 65535",
                error.getMessage());
    }

    @Test
    void missingFileIsAnError() {
        Path file = directory.resolve("absent.conf");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, NO_ENVIRONMENT));

        assertEquals(file + ": configuration file not found", error.getMessage());
    }

    @Test
    void invalidUtf8IsAnError() throws Exception {
        Path file = directory.resolve("latin1.conf");
        Files.write(file, new byte[] {'#', ' ', (byte) 0xE9, '\n'});

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, NO_ENVIRONMENT));

        assertEquals(file + ": cannot read configuration file: not valid UTF-8", error.getMessage());
    }

    @Test
    void variableNameIsPrefixedUpperCaseKey() {
        assertEquals("PETREL_MQTT_MAX_PACKET_SIZE_BYTES",
                ConfigLoader.environmentVariable(BrokerConfig.MAX_PACKET_SIZE_BYTES));
        assertEquals("PETREL_LISTENER_PORT", ConfigLoader.environmentVariable(BrokerConfig.LISTENER_PORT));
    }

    /** The shipped example file must load, set every key and state the built-in defaults. */
    @Test
    void exampleFileStatesEveryDefault() throws Exception {
        Path example = Path.of("..", "conf", "petrel.conf");
        assertTrue(Files.isRegularFile(example), "not found: " + example.toAbsolutePath());

        LoadedConfig loaded = ConfigLoader.load(example, NO_ENVIRONMENT);

        assertEquals(BrokerConfig.defaults().toString(), loaded.config().toString());
        List<String> lines = Files.readAllLines(example, StandardCharsets.UTF_8);
        for (String key : Settings.BY_KEY.keySet()) {
            assertTrue(lines.stream().anyMatch(line -> line.startsWith(key + " =")), "missing key " + key);
        }
    }

    private Path write(String... lines) throws IOException {
        Path file = directory.resolve("petrel.conf");
        Files.write(file, List.of(lines), StandardCharsets.UTF_8);
        return file;
    }
}
