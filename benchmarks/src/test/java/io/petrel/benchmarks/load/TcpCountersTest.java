package io.petrel.benchmarks.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TcpCountersTest {

    @Test
    void parseReadsCountersByName() {
        List<String> lines = List.of(
                "TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPSynRetrans",
                "TcpExt: 4 7 9 12",
                "IpExt: InNoRoutes",
                "IpExt: 0");

        assertEquals(Optional.of(new TcpCounters(12, 7, 9)), TcpCounters.parse(lines));
    }

    @Test
    void parseWithoutSynCounterIsEmpty() {
        List<String> lines = List.of("TcpExt: ListenOverflows ListenDrops", "TcpExt: 1 2");

        assertTrue(TcpCounters.parse(lines).isEmpty());
    }

    @Test
    void sinceSubtractsEachCounter() {
        TcpCounters growth = new TcpCounters(15, 8, 10).since(new TcpCounters(12, 7, 9));

        assertEquals(new TcpCounters(3, 1, 1), growth);
    }
}
