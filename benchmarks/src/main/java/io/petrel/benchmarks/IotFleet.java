package io.petrel.benchmarks;

import java.util.SplittableRandom;

/**
 * The topic space of an IoT fleet shared by the routing and retained benchmarks: devices publish to
 * {@code site/{s}/device/{d}/{metric}}, with {@value #DEVICES_PER_SITE} devices per site and
 * {@value #METRIC_COUNT} metrics per device.
 *
 * <p>Subscription filters follow the mix of {@link TopicMatchBenchmark}: 80% exact topics, 10%
 * {@code site/{s}/device/+/{metric}}, 5% {@code site/{s}/#} and 5% {@code +/{s}/device/{d}/#}.
 * Not thread-safe: each thread draws from its own instance.
 */
final class IotFleet {

    static final int DEVICES_PER_SITE = 100;
    static final int METRIC_COUNT = 5;
    private static final String[] METRICS = {"temp", "rh", "co2", "battery", "rssi"};

    private final int sites;
    private final SplittableRandom random;

    /** Creates a fleet of {@code sites} sites whose draws follow {@code seed}. */
    IotFleet(int sites, long seed) {
        this.sites = Math.max(1, sites);
        this.random = new SplittableRandom(seed);
    }

    /** Returns the number of sites. */
    int sites() {
        return sites;
    }

    /** Returns the topic of one metric of one device. */
    static String topic(int site, int device, int metric) {
        return "site/" + site + "/device/" + device + "/" + METRICS[metric];
    }

    /** Returns a topic drawn uniformly from the fleet. */
    String randomTopic() {
        return topic(random.nextInt(sites), random.nextInt(DEVICES_PER_SITE), random.nextInt(METRIC_COUNT));
    }

    /** Returns a filter drawn from the subscription mix. */
    String randomFilter() {
        int site = random.nextInt(sites);
        int device = random.nextInt(DEVICES_PER_SITE);
        String metric = METRICS[random.nextInt(METRIC_COUNT)];
        int kind = random.nextInt(100);
        if (kind < 80) {
            return "site/" + site + "/device/" + device + "/" + metric;
        } else if (kind < 90) {
            return "site/" + site + "/device/+/" + metric;
        } else if (kind < 95) {
            return "site/" + site + "/#";
        }
        return "+/" + site + "/device/" + device + "/#";
    }

    /** Returns the metric name at {@code index}, 0 to {@value #METRIC_COUNT} - 1. */
    static String metric(int index) {
        return METRICS[index];
    }
}
