package io.petrel.benchmarks.load;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads a process's CPU time and resident memory from Linux {@code /proc}. CPU time is
 * {@code utime + stime} of {@code /proc/PID/stat} in clock ticks, converted with the tick rate from
 * {@code getconf CLK_TCK}; resident memory is {@code VmRSS} of {@code /proc/PID/status}.
 */
final class ProcStats {

    private static final long DEFAULT_TICKS_PER_SECOND = 100;

    private final long ticksPerSecond;

    private ProcStats(long ticksPerSecond) {
        this.ticksPerSecond = ticksPerSecond;
    }

    /** Creates a reader with the tick rate of this machine, or 100 per second if getconf fails. */
    static ProcStats create() {
        return new ProcStats(readTicksPerSecond());
    }

    /** Returns the clock ticks per second used to convert CPU times. */
    long ticksPerSecond() {
        return ticksPerSecond;
    }

    /**
     * Returns the user plus system CPU time of {@code pid} in microseconds, at the resolution of one
     * clock tick.
     *
     * @throws UncheckedIOException if the process does not exist or its stat file cannot be read
     */
    long cpuMicros(long pid) {
        String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        // The command name (field 2) is in parentheses and may contain spaces, so fields are counted
        // from the last ')': then utime and stime are fields 14 and 15 of the whole line.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return ticks * 1_000_000 / ticksPerSecond;
    }

    /**
     * Returns the resident set size of {@code pid} in bytes.
     *
     * @throws UncheckedIOException if the process does not exist or has no VmRSS line
     */
    long rssBytes(long pid) {
        for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
            if (line.startsWith("VmRSS:")) {
                String kilobytes = line.substring("VmRSS:".length()).replace("kB", "").strip();
                return Long.parseLong(kilobytes) * 1024;
            }
        }
        throw new UncheckedIOException(new IOException("no VmRSS line in /proc/" + pid + "/status"));
    }

    private static String read(Path path) {
        try {
            return Files.readString(path, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + "; is the process running?", e);
        }
    }

    private static long readTicksPerSecond() {
        try {
            Process process = new ProcessBuilder(List.of("getconf", "CLK_TCK")).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (process.waitFor(5, TimeUnit.SECONDS) && process.exitValue() == 0) {
                return Long.parseLong(output);
            }
        } catch (IOException | NumberFormatException e) {
            // fall through to the default below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return DEFAULT_TICKS_PER_SECOND;
    }
}
