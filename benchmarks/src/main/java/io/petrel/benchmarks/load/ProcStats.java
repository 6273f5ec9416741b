package io.petrel.benchmarks.load;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Reads a process's CPU time and resident memory from Linux {@code /proc}. CPU time is
 * {@code utime + stime} of {@code /proc/PID/stat} in clock ticks, converted with the tick rate from
 * {@code getconf CLK_TCK}; resident memory is {@code VmRSS} of {@code /proc/PID/status}. A process
 * that has ended, including one that has exited but is not yet reaped (state Z or X), reads as an
 * empty value.
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
     * clock tick, or an empty value if the process has ended.
     *
     * @throws UncheckedIOException if the stat file exists but cannot be read
     */
    OptionalLong cpuMicros(long pid) {
        Optional<String> stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        if (stat.isEmpty()) {
            return OptionalLong.empty();
        }
        // The command name (field 2) is in parentheses and may contain spaces, so fields are counted
        // from the last ')'. The state is field 3, and utime and stime are fields 14 and 15.
        String line = stat.get();
        String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
        if (hasEnded(fields[0])) {
            return OptionalLong.empty();
        }
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return OptionalLong.of(ticks * 1_000_000 / ticksPerSecond);
    }

    /**
     * Returns the resident set size of {@code pid} in bytes, or an empty value if the process has
     * ended. An exited process that is not yet reaped has no VmRSS line.
     *
     * @throws UncheckedIOException if the status file exists but cannot be read
     */
    OptionalLong rssBytes(long pid) {
        Optional<String> status = read(Path.of("/proc", Long.toString(pid), "status"));
        if (status.isEmpty()) {
            return OptionalLong.empty();
        }
        for (String line : status.get().split("\n")) {
            if (line.startsWith("State:") && hasEnded(line.substring("State:".length()).strip())) {
                return OptionalLong.empty();
            }
            if (line.startsWith("VmRSS:")) {
                String kilobytes = line.substring("VmRSS:".length()).replace("kB", "").strip();
                return OptionalLong.of(Long.parseLong(kilobytes) * 1024);
            }
        }
        return OptionalLong.empty();
    }

    /** Returns true if {@code pid} has no {@code /proc} entry or has exited and awaits reaping. */
    boolean hasEnded(long pid) {
        return cpuMicros(pid).isEmpty();
    }

    /** Returns true for the process states of {@code /proc/PID/stat} that follow exit: zombie and dead. */
    private static boolean hasEnded(String state) {
        return state.startsWith("Z") || state.startsWith("X");
    }

    /**
     * Returns the file's text, or an empty value if it does not exist. The kernel reports ESRCH
     * ("No such process") when the process ends between opening and reading.
     */
    private static Optional<String> read(Path path) {
        try {
            return Optional.of(Files.readString(path, StandardCharsets.US_ASCII));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            if ("No such process".equals(e.getMessage()) || !Files.exists(path)) {
                return Optional.empty();
            }
            throw new UncheckedIOException("cannot read " + path, e);
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
