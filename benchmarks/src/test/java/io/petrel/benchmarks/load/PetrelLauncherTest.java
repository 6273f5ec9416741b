package io.petrel.benchmarks.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * Runs the launcher's command line with invalid options and with a listener port that is in use.
 * Each must fail with one error line and without running the broker.
 */
@Timeout(60)
class PetrelLauncherTest {

    @ParameterizedTest
    @CsvSource({
        "--max-queued, -5, 'invalid --max-queued -5: expected an integer from 1 to 10000000'",
        "--max-queued, 0, 'invalid --max-queued 0: expected an integer from 1 to 10000000'",
        "--max-inflight, 0, 'invalid --max-inflight 0: expected an integer from 1 to 65535'",
        "--io-threads, -1, 'invalid --io-threads -1: expected an integer from 0 to 1024'",
        "--port, 70000, 'invalid --port 70000: expected an integer from 0 to 65535'",
    })
    void invalidValueNamesOptionAndRange(String option, String value, String expected) {
        StringWriter errors = new StringWriter();

        int exitCode = execute(errors, option, value);

        String output = errors.toString();
        assertEquals(2, exitCode, output);
        assertEquals("error: " + expected + "; see --help" + System.lineSeparator(), output);
    }

    @Test
    void invalidValueDoesNotNameConfigKey() {
        StringWriter errors = new StringWriter();

        execute(errors, "--max-queued", "-5");

        assertFalse(errors.toString().contains("session.max_queued_messages"), errors.toString());
    }

    @Test
    void blankHostIsRejected() {
        StringWriter errors = new StringWriter();

        int exitCode = execute(errors, "--host", " ");

        assertEquals(2, exitCode, errors.toString());
        assertTrue(errors.toString().startsWith("error: invalid --host ' '"), errors.toString());
    }

    @Test
    void portInUseExitsWithOne() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String port = Integer.toString(taken.getLocalPort());
            StringWriter errors = new StringWriter();

            int exitCode = execute(errors, "--host", "127.0.0.1", "--port", port);

            String output = errors.toString();
            assertEquals(PetrelLauncher.EXIT_START_FAILED, exitCode, output);
            assertEquals("error: port " + port + " on 127.0.0.1 is already in use; pass a free port with --port, "
                    + "or --port 0 for an ephemeral one" + System.lineSeparator(), output);
        }
    }

    @Test
    void allowedValuesKeepsMessageWithoutKeyPrefix() {
        assertEquals("expected an integer from 1 to 10",
                PetrelLauncher.allowedValues("invalid some.key = 0: expected an integer from 1 to 10"));
        assertEquals("no separator", PetrelLauncher.allowedValues("no separator"));
    }

    private static int execute(StringWriter errors, String... args) {
        CommandLine commandLine = PetrelLauncher.commandLine();
        commandLine.setErr(new PrintWriter(errors, true));
        return commandLine.execute(args);
    }
}
