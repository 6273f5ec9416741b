package io.petrel.broker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Runs the command in-process on inputs that stop it before a broker starts. */
class PetrelCommandTest {

    @TempDir
    Path directory;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void unknownOptionExitsWithUsageStatus() {
        int status = execute(Map.of(), Optional.empty(), "--no-such-option");

        assertEquals(2, status);
        assertTrue(err.toString().contains("Unknown option: '--no-such-option'"), err.toString());
    }

    @Test
    void missingConfigFileExitsWithOneLine() {
        Path absent = directory.resolve("absent.conf");

        int status = execute(Map.of(), Optional.empty(), "--config", absent.toString());

        assertEquals(1, status);
        assertEquals("petrel: " + absent + ": configuration file not found" + System.lineSeparator(), err.toString());
    }

    @Test
    void invalidConfigFileExitsWithOneLine() throws IOException {
        Path file = write(directory.resolve("petrel.conf"), "listener.port = 70000");

        int status = execute(Map.of(), Optional.empty(), "-c", file.toString());

        assertEquals(1, status);
        assertEquals("petrel: " + file + ":1: invalid listener.port = 70000: expected an integer from 0 to 65535"
                + System.lineSeparator(), err.toString());
    }

    @Test
    void invalidVariableExitsWithOneLine() {
        int status = execute(Map.of("PETREL_THREADS_IO", "many"), Optional.empty());

        assertEquals(1, status);
        assertEquals("petrel: environment variable PETREL_THREADS_IO: invalid threads.io = many: "
                + "expected an integer from 0 to 1024" + System.lineSeparator(), err.toString());
    }

    /** An invalid value in the home's petrel.conf shows that the file was read, without starting a broker. */
    @Test
    void configFileUnderHomeIsDefault() throws IOException {
        Path home = directory.resolve("petrel-home");
        Path file = write(home.resolve("conf").resolve("petrel.conf"), "# example", "threads.io = -1");

        int status = execute(Map.of(), Optional.of(home), new String[0]);

        assertEquals(1, status);
        assertTrue(err.toString().startsWith("petrel: " + file + ":2: invalid threads.io = -1"), err.toString());
    }

    @Test
    void versionOptionPrintsVersion() {
        int status = execute(Map.of(), Optional.empty(), "--version");

        assertEquals(0, status);
        assertEquals("petrel " + PetrelVersion.current() + System.lineSeparator(), out.toString());
    }

    @Test
    void helpNamesConfigOption() {
        int status = execute(Map.of(), Optional.empty(), "--help");

        assertEquals(0, status);
        assertTrue(out.toString().contains("--config=FILE"), out.toString());
    }

    @Test
    void formatPutsIpv6AddressInBrackets() {
        assertEquals("[0:0:0:0:0:0:0:1]:1883", PetrelCommand.format(new InetSocketAddress("::1", 1883)));
        assertEquals("127.0.0.1:1883", PetrelCommand.format(new InetSocketAddress("127.0.0.1", 1883)));
    }

    private int execute(Map<String, String> environment, Optional<Path> home, String... args) {
        CommandLine commandLine = PetrelCommand.commandLine(environment, home);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    private static Path write(Path file, String... lines) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, List.of(lines), StandardCharsets.UTF_8);
        return file;
    }
}
