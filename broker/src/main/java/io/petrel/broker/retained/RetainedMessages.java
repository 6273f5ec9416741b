package io.petrel.broker.retained;

import io.petrel.api.Message;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The retained messages: the topic index plus the arrival time of each message that has an MQTT 5.0
 * expiry interval, so that a late subscriber gets the remaining interval and an expired message is
 * removed by {@link #removeExpired} without waiting for a subscriber.
 *
 * <p>Thread-safe: publishers on any thread store and clear messages, subscribers read without a lock.
 */
public final class RetainedMessages {

    /** A retained message and when the broker received it, in {@link System#nanoTime()} time. */
    public record Entry(Message message, long receivedAtNanos) {
    }

    private final RetainedIndex index = new RetainedIndex();
    // Keyed by message identity (Message does not override equals); only messages with an expiry.
    private final Map<Message, Long> receivedAt = new ConcurrentHashMap<>();

    /** Stores or replaces the retained message of its topic. */
    public void put(Message message, long receivedAtNanos) {
        if (message.messageExpiryIntervalSeconds().isPresent()) {
            receivedAt.put(message, receivedAtNanos);
        }
        Message previous = index.put(message);
        if (previous != null) {
            receivedAt.remove(previous);
        }
    }

    /** Clears the retained message of {@code topic}. */
    public void remove(String topic) {
        Message previous = index.remove(topic);
        if (previous != null) {
            receivedAt.remove(previous);
        }
    }

    /** Visits the retained messages matching {@code filter} that have not expired at {@code nowNanos}. */
    public void match(String filter, long nowNanos, Consumer<Entry> visitor) {
        index.match(filter, message -> {
            Long arrival = receivedAt.get(message);
            if (arrival == null) {
                visitor.accept(new Entry(message, nowNanos));
            } else if (!expired(message, arrival, nowNanos)) {
                visitor.accept(new Entry(message, arrival));
            }
        });
    }

    /** Removes every retained message whose expiry interval has passed at {@code nowNanos}. */
    public int removeExpired(long nowNanos) {
        int removed = 0;
        Iterator<Map.Entry<Message, Long>> entries = receivedAt.entrySet().iterator();
        while (entries.hasNext()) {
            Map.Entry<Message, Long> entry = entries.next();
            Message message = entry.getKey();
            if (expired(message, entry.getValue(), nowNanos)) {
                entries.remove();
                if (index.removeIfSame(message.topic(), message)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    /** Returns the number of retained messages, expired ones not yet swept included. */
    public int size() {
        return index.size();
    }

    /** Returns true if the expiry interval of {@code message}, which must have one, has passed. */
    private static boolean expired(Message message, long arrivalNanos, long nowNanos) {
        long interval = message.messageExpiryIntervalSeconds().getAsLong();
        return nowNanos - arrivalNanos >= TimeUnit.SECONDS.toNanos(interval);
    }
}
