package io.petrel.broker.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LevelMapTest {

    @Test
    void getFindsLevelInsideTopic() {
        LevelMap<Named> map = LevelMap.of(new Named("device", "node"));

        assertEquals("node", name(map.get("site/device/7", 5, 11)));
        assertNull(map.get("site/devices/7", 5, 12));
        assertNull(map.get("site/devic/7", 5, 10));
    }

    @Test
    void longAndNonLatinLevelsAreCompared() {
        // "AaAaAaAa" and "BBBBBBBB" have the same String hash, but the map keeps them apart by its own key.
        LevelMap<Named> map = LevelMap.of(new Named("AaAaAaAa", "first"));
        map = map.put(new Named("\u20ac", "euro"));
        map = map.put(new Named("temperature-sensor", "long"));

        assertEquals("first", name(map.get("AaAaAaAa")));
        assertNull(map.get("BBBBBBBB"));
        assertEquals("euro", name(map.get("x/\u20ac", 2, 3)));
        assertEquals("long", name(map.get("temperature-sensor")));

        map = map.put(new Named("BBBBBBBB", "second"));
        assertEquals("second", name(map.get("BBBBBBBB")));
        assertEquals("first", name(map.get("AaAaAaAa")));
    }

    @Test
    void levelsOfOneStringHashSpreadOverTable() {
        // Every sequence of 13 blocks "Aa" or "BB" has the same String hash: 8,192 levels of 26 characters.
        int count = 1 << 13;
        LevelMap<Named> map = LevelMap.of(new Named(collidingText(0, 13), "0"));
        for (int i = 1; i < count; i++) {
            String level = collidingText(i, 13);
            assertEquals("AaAaAaAaAaAaAaAaAaAaAaAaAa".hashCode(), level.hashCode(), level);
            map = map.put(new Named(level, Integer.toString(i)));
        }

        assertEquals(count, map.size());
        assertTrue(map.maxProbeLength() <= 64, "max probe length " + map.maxProbeLength() + " slots");
        for (int i = 0; i < count; i++) {
            assertEquals(Integer.toString(i), name(map.get("x/" + collidingText(i, 13) + "/y", 2, 28)));
        }
    }

    /** Returns the concatenation of {@code blocks} blocks, "Aa" or "BB" by the bits of {@code bits}. */
    static String collidingText(int bits, int blocks) {
        StringBuilder text = new StringBuilder(2 * blocks);
        for (int block = 0; block < blocks; block++) {
            text.append((bits >>> block & 1) == 0 ? "Aa" : "BB");
        }
        return text.toString();
    }

    @Test
    void repeatedPutAndRemoveKeepsProbeShort() {
        LevelMap<Named> map = LevelMap.of(new Named("0", "0"));
        for (int i = 1; i < 1_000; i++) {
            map = map.put(new Named(Integer.toString(i), Integer.toString(i)));
        }
        for (int i = 0; i < 2_000; i++) {
            map = map.put(new Named("toggled", "toggled"));
            map = map.remove("toggled");
        }
        map = map.put(new Named("toggled", "toggled"));

        assertTrue(map.maxProbeLength() <= 64, "max probe length " + map.maxProbeLength() + " slots");
        assertEquals(1_001, map.size());
        assertEquals("999", name(map.get("999")));
    }

    @Test
    void sevenAndEightCharacterLevelsDiffer() {
        LevelMap<Named> map = LevelMap.of(new Named("battery", "seven"));
        map = map.put(new Named("battery1", "eight"));

        assertEquals("seven", name(map.get("battery")));
        assertEquals("eight", name(map.get("battery1")));
        assertNull(map.get("batter"));
    }

    @Test
    void levelKeyMatchesKeyOfLevel() {
        String topic = "site//battery/battery1/temperature-sensor/\u20ac/AaAaAaAa/";
        int start = 0;
        while (start <= topic.length()) {
            int end = topic.indexOf('/', start);
            end = end < 0 ? topic.length() : end;
            long key = LevelMap.levelKey(topic, start);

            assertEquals(LevelMap.key(topic, start, end), key, "key at " + start);
            assertEquals(end - start, LevelMap.levelLength(key), "length at " + start);
            start = end + 1;
        }
    }

    @Test
    void levelLongerThanTopicLimitIsRejected() {
        String level = "a".repeat(65_536);

        IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, () -> LevelMap.key(level, 0, 65_536));
        assertTrue(thrown.getMessage().contains("65536 characters"), thrown.getMessage());
        assertEquals(65_535, LevelMap.levelLength(LevelMap.levelKey("a".repeat(65_535), 0)));
    }

    @Test
    void emptyLevelIsKey() {
        LevelMap<Named> map = LevelMap.of(new Named("", "empty"));

        assertEquals("empty", name(map.get("a//b", 2, 2)));
        assertNull(map.get("a"));
    }

    @Test
    void putReplacesChild() {
        LevelMap<Named> map = LevelMap.of(new Named("a", "first"));
        map = map.put(new Named("a", "second"));

        assertEquals("second", name(map.get("a")));
        assertEquals(1, map.size());
    }

    @Test
    void growAndShrinkKeepEntries() {
        LevelMap<Named> map = LevelMap.of(new Named("0", "0"));
        Map<String, String> expected = new HashMap<>(Map.of("0", "0"));
        for (int i = 1; i < 1_000; i++) {
            map = map.put(new Named(Integer.toString(i), "node-" + i));
            expected.put(Integer.toString(i), "node-" + i);
        }
        LevelMap<Named> full = map;
        for (int i = 0; i < 990; i++) {
            map = map.remove(Integer.toString(i));
            expected.remove(Integer.toString(i));
        }

        assertNotSame(full, map);
        assertEquals(expected.size(), map.size());
        Map<String, String> actual = new HashMap<>();
        map.forEach(node -> actual.put(node.level(), node.name));
        assertEquals(expected, actual);
        assertNull(map.get("5"));
        assertEquals("node-995", name(map.get("995")));
    }

    @Test
    void removingLastChildReturnsNull() {
        LevelMap<Named> map = LevelMap.of(new Named("a", "node"));

        assertSame(map, map.remove("b"));
        assertNull(map.remove("a"));
    }

    @Test
    void removeKeepsOtherChildren() {
        LevelMap<Named> map = LevelMap.of(new Named("a", "node-a")).put(new Named("b", "node-b"));
        LevelMap<Named> after = map.remove("a");

        assertNull(after.get("a"));
        assertEquals("node-b", name(after.get("b")));
    }

    private static String name(Named node) {
        return node == null ? null : node.name;
    }

    private static final class Named extends LevelMap.Child {
        final String name;

        Named(String level, String name) {
            super(level);
            this.name = name;
        }
    }
}
