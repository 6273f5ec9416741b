package io.petrel.broker.local;

import io.petrel.broker.observability.BrokerMetrics;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The broker services that every in-process subscription shares.
 *
 * @param clock          the source of failure times and of the circuit breakers' cool-downs
 * @param scheduler      runs retries, circuit probes and publish timeouts; owned by the broker
 * @param deadLetters    where messages go when their handler failed for good
 * @param metrics        the broker's meters
 * @param publishTimeout how long a QoS 1 or 2 delivery may wait for room in a full queue
 */
public record LocalContext(
        Clock clock,
        ScheduledExecutorService scheduler,
        DeadLetterWriter deadLetters,
        BrokerMetrics metrics,
        Duration publishTimeout) {
}
