package io.petrel.broker.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real {@code petrel} launcher as a child JVM on the test class path, started as
 * {@code bin/petrel} starts it, with its working directory, standard output and error in a test
 * directory.
 */
record LauncherProcess(Process process, Path stdoutFile, Path stderrFile) {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern LISTENING = Pattern.compile("listening for MQTT connections on 127\\.0\\.0\\.1:(\\d+)");

    /** The JVM options of {@code bin/petrel} that Chronicle Queue needs on Java 17 and later. */
    static final List<String> CHRONICLE_OPTIONS = List.of(
            "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports", "jdk.unsupported/sun.misc=ALL-UNNAMED",
            "--add-exports", "jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
            "--add-opens", "jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens", "java.base/java.io=ALL-UNNAMED",
            "--add-opens", "java.base/java.util=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "-Dchronicle.analytics.disable=true",
            "-Dchronicle.announcer.disable=true");

    /** Starts the launcher in {@code directory} with its output in {@code stdout.txt} and {@code stderr.txt}. */
    static LauncherProcess start(Path directory, String... args) throws IOException {
        return start(directory, "", List.of(), args);
    }

    /**
     * Starts the launcher with {@code directory} as its working directory.
     *
     * @param name       prefix of the output file names, so that several launchers can share a directory
     * @param jvmOptions extra JVM options, placed after those of {@code bin/petrel}
     */
    static LauncherProcess start(Path directory, String name, List<String> jvmOptions, String... args)
            throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path logbackConfig = Path.of("..", "conf", "logback.xml").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(logbackConfig), "not found: " + logbackConfig);

        List<String> command = new ArrayList<>(List.of(
                java.toString(),
                "-Xmx256m",
                // As bin/petrel does: without it, Java 24 and later print a warning on stderr.
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(CHRONICLE_OPTIONS);
        if (Runtime.version().feature() >= 24) {
            // As bin/petrel does: jffi, used by Chronicle, would print an Unsafe warning on stderr.
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.addAll(jvmOptions);
        command.addAll(List.of(
                "-Dlogback.configurationFile=" + logbackConfig,
                "-cp", System.getProperty("java.class.path"),
                PetrelCommand.class.getName()));
        command.addAll(List.of(args));

        Path stdoutFile = directory.resolve(name + "stdout.txt");
        Path stderrFile = directory.resolve(name + "stderr.txt");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectOutput(stdoutFile.toFile())
                .redirectError(stderrFile.toFile());
        // Overrides in the developer's environment would change what the test checks.
        builder.environment().keySet().removeIf(variable -> variable.startsWith("PETREL_"));
        return new LauncherProcess(builder.start(), stdoutFile, stderrFile);
    }

    /** Waits for the start log line and returns the port it names. */
    int awaitListeningPort() throws IOException {
        await().atMost(START_TIMEOUT).until(() -> LISTENING.matcher(stdout()).find() || !process.isAlive());
        Matcher listening = LISTENING.matcher(stdout());
        if (!listening.find()) {
            fail("launcher exited before listening: " + describe());
        }
        return Integer.parseInt(listening.group(1));
    }

    String stdout() throws IOException {
        return Files.readString(stdoutFile, UTF_8);
    }

    String stderr() throws IOException {
        return Files.readString(stderrFile, UTF_8);
    }

    /** Returns the exit status and output, for assertion messages. */
    String describe() {
        try {
            String status = process.isAlive() ? "running" : "exit status " + process.exitValue();
            return status + "\n--- stdout ---\n" + stdout() + "--- stderr ---\n" + stderr();
        } catch (IOException e) {
            return "output not readable: " + e;
        }
    }
}
