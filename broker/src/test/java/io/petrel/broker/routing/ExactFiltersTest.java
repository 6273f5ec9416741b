package io.petrel.broker.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ExactFiltersTest {

    private final ExactFilters filters = new ExactFilters();

    @Test
    void getFindsEntryByEqualTopic() {
        Object[] entry = {"site/1/temp", "client-1", 1};
        filters.put(entry);

        assertSame(entry, filters.get(new String("site/1/temp")));
        assertNull(filters.get("site/1/rh"));
        assertEquals(1, filters.size());
    }

    @Test
    void putReplacesEntryOfSameFilter() {
        filters.put(new Object[] {"a", "client-1", 1});
        Object[] replaced = {"a", "client-1", 1, "client-2", 2};
        filters.put(replaced);

        assertSame(replaced, filters.get("a"));
        assertEquals(1, filters.size());
    }

    @Test
    void collidingFiltersAreKeptApart() {
        // "Aa" and "BB" have the same String hash.
        filters.put(new Object[] {"Aa", "client-1", 1});
        filters.put(new Object[] {"BB", "client-2", 2});
        filters.remove("Aa");

        assertNull(filters.get("Aa"));
        assertArrayEquals(new Object[] {"BB", "client-2", 2}, filters.get("BB"));
    }

    @Test
    void filtersOfOneStringHashSpreadOverTable() {
        // Every sequence of 13 blocks "Aa" or "BB" has the same String hash: 8,192 filters.
        int count = 1 << 13;
        for (int i = 0; i < count; i++) {
            String filter = "site/" + LevelMapTest.collidingText(i, 13);
            assertEquals("site/AaAaAaAaAaAaAaAaAaAaAaAaAa".hashCode(), filter.hashCode(), filter);
            filters.put(new Object[] {filter, "client", i});
        }

        assertEquals(count, filters.size());
        assertTrue(filters.isSeeded(), "table keyed by the seeded hash");
        assertTrue(filters.maxProbeLength() <= 32, "max probe length " + filters.maxProbeLength() + " slots");
        for (int i = 0; i < count; i++) {
            assertEquals(i, filters.get("site/" + LevelMapTest.collidingText(i, 13))[2]);
        }
    }

    @Test
    void ordinaryFiltersKeepStringHash() {
        for (int i = 0; i < 10_000; i++) {
            filters.put(new Object[] {"site/" + (i % 100) + "/device/" + i + "/temp", "client", i});
        }

        assertFalse(filters.isSeeded(), "table keyed by the seeded hash");
        assertTrue(filters.maxProbeLength() <= 32, "max probe length " + filters.maxProbeLength() + " slots");
        assertEquals(4_242, filters.get(new String("site/42/device/4242/temp"))[2]);
    }

    @Test
    void tableGrowsAndShrinksWithoutLosingEntries() {
        int count = 10_000;
        for (int i = 0; i < count; i++) {
            filters.put(new Object[] {"t/" + i, "client", i});
        }
        for (int i = 0; i < count; i++) {
            if (i % 100 != 0) {
                filters.remove("t/" + i);
            }
        }

        assertEquals(count / 100, filters.size());
        for (int i = 0; i < count; i++) {
            Object[] entry = filters.get("t/" + i);
            if (i % 100 == 0) {
                assertEquals(i, entry[2], "value of t/" + i);
            } else {
                assertNull(entry, "entry of removed t/" + i);
            }
        }
    }

    @Test
    void repeatedPutAndRemoveKeepsProbeShort() {
        for (int i = 0; i < 1_000; i++) {
            filters.put(new Object[] {"t/" + i, "client", i});
        }
        for (int i = 0; i < 10_000; i++) {
            filters.put(new Object[] {"toggled", "client", i});
            filters.remove("toggled");
        }
        filters.put(new Object[] {"toggled", "client", 0});

        assertTrue(filters.maxProbeLength() <= 32, "max probe length " + filters.maxProbeLength() + " slots");
        assertEquals(1_001, filters.size());
        assertEquals(999, filters.get("t/999")[2]);
    }

    @Test
    void removeOfAbsentFilterChangesNothing() {
        filters.put(new Object[] {"a", "client-1", 1});

        filters.remove("b");

        assertEquals(1, filters.size());
        assertEquals("client-1", filters.get("a")[1]);
    }
}
