package io.petrel.broker.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LevelMapTest {

    @Test
    void getFindsLevelInsideTopic() {
        LevelMap<String> map = LevelMap.of("device", "node");

        assertEquals("node", map.get("site/device/7", 5, 11));
        assertNull(map.get("site/devices/7", 5, 12));
        assertNull(map.get("site/devic/7", 5, 10));
    }

    @Test
    void longAndNonLatinLevelsAreCompared() {
        // "AaAaAaAa" and "BBBBBBBB" have the same String hash, so only the comparison tells them apart.
        LevelMap<String> map = LevelMap.of("AaAaAaAa", "first");
        map = map.put("\u20ac", "euro");
        map = map.put("temperature-sensor", "long");

        assertEquals("first", map.get("AaAaAaAa"));
        assertNull(map.get("BBBBBBBB"));
        assertEquals("euro", map.get("x/\u20ac", 2, 3));
        assertEquals("long", map.get("temperature-sensor"));

        map = map.put("BBBBBBBB", "second");
        assertEquals("second", map.get("BBBBBBBB"));
        assertEquals("first", map.get("AaAaAaAa"));
    }

    @Test
    void emptyLevelIsKey() {
        LevelMap<String> map = LevelMap.of("", "empty");

        assertEquals("empty", map.get("a//b", 2, 2));
        assertNull(map.get("a"));
    }

    @Test
    void putReplacesChild() {
        LevelMap<String> map = LevelMap.of("a", "first");
        map = map.put("a", "second");

        assertEquals("second", map.get("a"));
        assertEquals(1, map.size());
    }

    @Test
    void growAndShrinkKeepEntries() {
        LevelMap<Integer> map = LevelMap.of("0", 0);
        Map<String, Integer> expected = new HashMap<>(Map.of("0", 0));
        for (int i = 1; i < 1_000; i++) {
            map = map.put(Integer.toString(i), i);
            expected.put(Integer.toString(i), i);
        }
        LevelMap<Integer> full = map;
        for (int i = 0; i < 990; i++) {
            map = map.remove(Integer.toString(i));
            expected.remove(Integer.toString(i));
        }

        assertNotSame(full, map);
        assertEquals(expected.size(), map.size());
        Map<String, Integer> actual = new HashMap<>();
        map.forEach(actual::put);
        assertEquals(expected, actual);
        assertNull(map.get("5"));
        assertEquals(995, map.get("995"));
    }

    @Test
    void removingLastChildReturnsNull() {
        LevelMap<String> map = LevelMap.of("a", "node");

        assertSame(map, map.remove("b"));
        assertNull(map.remove("a"));
    }

    @Test
    void removeKeepsOtherChildren() {
        LevelMap<String> map = LevelMap.of("a", "node-a").put("b", "node-b");
        LevelMap<String> after = map.remove("a");

        assertNull(after.get("a"));
        assertEquals("node-b", after.get("b"));
    }
}
