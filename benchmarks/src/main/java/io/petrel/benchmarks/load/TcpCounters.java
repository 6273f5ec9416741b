package io.petrel.benchmarks.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The kernel's TCP counters that show whether connection attempts were turned away: retransmitted
 * SYNs ({@code TCPSynRetrans}) and listen-queue overflows and drops ({@code ListenOverflows},
 * {@code ListenDrops}), read from the {@code TcpExt} lines of {@code /proc/net/netstat}. They count
 * every socket of the network namespace, so traffic of other programs on the machine counts too.
 *
 * @param synRetransmits  retransmitted SYN packets
 * @param listenOverflows times a listen queue was full when a connection completed its handshake
 * @param listenDrops     connection requests a listening socket dropped, overflows included
 */
record TcpCounters(long synRetransmits, long listenOverflows, long listenDrops) {

    private static final Path NETSTAT = Path.of("/proc/net/netstat");

    /** Reads the counters, or returns empty where {@code /proc/net/netstat} cannot be read (not Linux). */
    static Optional<TcpCounters> read() {
        return read(NETSTAT);
    }

    static Optional<TcpCounters> read(Path netstat) {
        List<String> lines;
        try {
            lines = Files.readAllLines(netstat, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return Optional.empty();
        }
        return parse(lines);
    }

    /**
     * Parses the {@code TcpExt:} header and value lines of a netstat file. Returns empty if they are
     * missing or a counter is absent.
     */
    static Optional<TcpCounters> parse(List<String> lines) {
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).startsWith("TcpExt:") && lines.get(i + 1).startsWith("TcpExt:")) {
                List<String> names = List.of(lines.get(i).trim().split("\\s+"));
                String[] values = lines.get(i + 1).trim().split("\\s+");
                int syn = names.indexOf("TCPSynRetrans");
                int overflows = names.indexOf("ListenOverflows");
                int drops = names.indexOf("ListenDrops");
                if (syn < 0 || overflows < 0 || drops < 0 || values.length != names.size()) {
                    return Optional.empty();
                }
                return Optional.of(new TcpCounters(Long.parseLong(values[syn]), Long.parseLong(values[overflows]),
                        Long.parseLong(values[drops])));
            }
        }
        return Optional.empty();
    }

    /** Returns the growth of each counter from {@code before} to this reading. */
    TcpCounters since(TcpCounters before) {
        return new TcpCounters(synRetransmits - before.synRetransmits, listenOverflows - before.listenOverflows,
                listenDrops - before.listenDrops);
    }
}
