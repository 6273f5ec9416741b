package io.petrel.broker.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LevelMapTest {

    /** Characters that a topic level may contain, one UTF-8 byte or two, and that pack into a key. */
    private static final char[] PRINTABLE = printableLatin1();

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

    @Test
    void levelsChosenFromVisitOrderSpreadOverTable() {
        // A client sees the visit order of a map's children: the retained messages of "p/a", "p/b", ...
        // arrive for the filter "p/+" in reverse slot order. The test reads that order for 186 levels of
        // 7 characters that differ only at one position, for each of three positions. From it, it
        // estimates how a character at each position moves a level's slot. It then chooses 4,096 levels
        // that the estimate puts into 1/64 of the slots, which must still spread over the table.
        double[] step = new double[3];
        for (int position = 0; position < 3; position++) {
            LevelMap<Named> map = LevelMap.of(new Named(varied(position, PRINTABLE[0]), "0"));
            for (int i = 1; i < PRINTABLE.length; i++) {
                map = map.put(new Named(varied(position, PRINTABLE[i]), Integer.toString(i)));
            }
            List<Integer> visited = new ArrayList<>();
            int changed = position;
            map.forEach(child -> visited.add((int) child.level().charAt(changed)));
            step[position] = fractionMatchingOrder(visited);
        }

        List<String> chosen = levelsInOneBand(step, 4_096);
        LevelMap<Named> map = LevelMap.of(new Named(chosen.get(0), "0"));
        for (int i = 1; i < chosen.size(); i++) {
            map = map.put(new Named(chosen.get(i), Integer.toString(i)));
        }

        assertEquals(4_096, map.size());
        assertTrue(map.maxProbeLength() <= 64, "max probe length " + map.maxProbeLength() + " slots");
    }

    private static char[] printableLatin1() {
        StringBuilder chars = new StringBuilder();
        for (char c = 0x21; c < 0x7F; c++) {
            if (c != '#' && c != '+' && c != '/') {
                chars.append(c);
            }
        }
        for (char c = 0xA1; c <= 0xFF; c++) {
            chars.append(c);
        }
        return chars.toString().toCharArray();
    }

    /** Returns "aaaaaaa" with {@code c} at {@code position}. */
    private static String varied(int position, char c) {
        char[] level = "aaaaaaa".toCharArray();
        level[position] = c;
        return new String(level);
    }

    /**
     * Returns the u in [0, 1) for which the fractional parts of c * u, taken in the visit order of the
     * characters c, go around the unit interval the fewest times. They go around once when the slot is
     * the top bits of a constant plus c times a multiplier, as multiply-shift hashing of a packed key gives.
     */
    private static double fractionMatchingOrder(List<Integer> visited) {
        int count = visited.size();
        double[] differences = new double[count];
        for (int i = 0; i < count; i++) {
            differences[i] = visited.get((i + 1) % count) - visited.get(i);
        }
        int cells = 1 << 20;
        int[] turnsPerCell = new int[cells];
        int bestCell = 0;
        for (int cell = 0; cell < cells; cell++) {
            double u = (cell + 0.5) / cells;
            double turns = 0;
            for (double difference : differences) {
                double product = difference * u;
                turns += product - Math.floor(product);
            }
            turnsPerCell[cell] = (int) Math.round(turns);
            if (turnsPerCell[cell] < turnsPerCell[bestCell]) {
                bestCell = cell;
            }
        }
        // The middle of the run of adjacent cells with as few turns, since other runs may tie with it.
        int lastCell = bestCell;
        while (lastCell + 1 < cells && turnsPerCell[lastCell + 1] == turnsPerCell[bestCell]) {
            lastCell++;
        }
        return ((bestCell + lastCell) / 2 + 0.5) / cells;
    }

    /** Returns {@code count} levels of 7 characters whose estimated slots lie in one 1/64 of the table. */
    private static List<String> levelsInOneBand(double[] step, int count) {
        int[] bands = new int[64];
        for (char c0 : PRINTABLE) {
            for (char c1 : PRINTABLE) {
                for (char c2 : PRINTABLE) {
                    bands[band(step, c0, c1, c2)]++;
                }
            }
        }
        int fullest = 0;
        for (int band = 1; band < bands.length; band++) {
            fullest = bands[band] > bands[fullest] ? band : fullest;
        }
        List<String> levels = new ArrayList<>();
        for (char c0 : PRINTABLE) {
            for (char c1 : PRINTABLE) {
                for (char c2 : PRINTABLE) {
                    if (levels.size() < count && band(step, c0, c1, c2) == fullest) {
                        levels.add(new String(new char[] {c0, c1, c2, 'a', 'a', 'a', 'a'}));
                    }
                }
            }
        }
        return levels;
    }

    private static int band(double[] step, char c0, char c1, char c2) {
        double position = c0 * step[0] + c1 * step[1] + c2 * step[2];
        return (int) ((position - Math.floor(position)) * 64);
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
