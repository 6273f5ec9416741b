package io.petrel.broker.routing;

import java.util.Random;

/**
 * Random topic names and filters over a small set of levels, so that generated filters and topics
 * often match. Includes empty levels, {@code $} levels, a level longer than 7 characters and a non-Latin-1 level.
 */
public final class TopicGenerator {

    private static final String[] LEVELS = {"a", "b", "c", "", "$SYS", "dev-1", "device-0042", "\u20ac"};

    private TopicGenerator() {
    }

    /** Returns a valid topic name of one to four levels. */
    public static String topic(Random random) {
        return topic(random, LEVELS);
    }

    /** Returns a valid topic name of one to four levels drawn from {@code pool}. */
    public static String topic(Random random, String[] pool) {
        int levels = 1 + random.nextInt(4);
        StringBuilder topic = new StringBuilder();
        for (int i = 0; i < levels; i++) {
            if (i > 0) {
                topic.append('/');
            }
            topic.append(pool[random.nextInt(pool.length)]);
        }
        if (topic.length() == 0) {
            topic.append('a');
        }
        return topic.toString();
    }

    /** Returns a valid topic filter of one to four levels, with {@code '+'} and {@code '#'} mixed in. */
    public static String filter(Random random) {
        return filter(random, LEVELS);
    }

    /** Returns a valid topic filter of one to four levels drawn from {@code pool}, with wildcards mixed in. */
    public static String filter(Random random, String[] pool) {
        int levels = 1 + random.nextInt(4);
        StringBuilder filter = new StringBuilder();
        for (int i = 0; i < levels; i++) {
            if (i > 0) {
                filter.append('/');
            }
            boolean last = i == levels - 1;
            int choice = random.nextInt(10);
            if (last && choice < 2) {
                filter.append('#');
            } else if (choice < 5) {
                filter.append('+');
            } else {
                filter.append(pool[random.nextInt(pool.length)]);
            }
        }
        if (filter.length() == 0) {
            filter.append('a');
        }
        return filter.toString();
    }
}
