package io.petrel.broker.protocol;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The connect timeout and keepalive check of the connections on one event loop: a single timer per
 * loop visits every connection that is waiting for its CONNECT or has a keepalive. It closes a
 * connection whose CONNECT is not complete when {@code mqtt.connect_timeout_ms} has passed since it
 * became active, and one that sent no packet within one and a half keepalive periods
 * [MQTT-3.1.2-24]. One timer per loop instead of one per connection keeps a connection free of
 * scheduled tasks. A connection is closed at most {@link #SWEEP_PERIOD_MILLIS} after its deadline,
 * plus the time its loop is busy with other work, and never before it.
 *
 * <p>Threads: owned by its event loop. {@link #add} and {@link #remove} run on that loop, and so
 * does the sweep. The timer is scheduled only while the loop has connections to check.
 */
final class ConnectionSweep {

    /** Time between two visits of the same connection. */
    static final long SWEEP_PERIOD_MILLIS = 250;

    private static final FastThreadLocal<ConnectionSweep> CURRENT = new FastThreadLocal<>();

    private final EventExecutor executor;
    private final ArrayList<MqttConnectionHandler> connections = new ArrayList<>();
    private final Runnable sweepTask = this::sweep;
    private boolean scheduled;

    private ConnectionSweep(EventExecutor executor) {
        this.executor = executor;
    }

    /** Returns the sweep of {@code executor}, creating it on first use. Call on that executor's thread. */
    static ConnectionSweep of(EventExecutor executor) {
        ConnectionSweep sweep = CURRENT.get();
        if (sweep == null || sweep.executor != executor) {
            // A thread runs one event loop. The executor changes only when a test drives several
            // embedded loops from one thread, and then each loop gets its own sweep.
            sweep = new ConnectionSweep(executor);
            CURRENT.set(sweep);
        }
        return sweep;
    }

    /** Starts checking {@code connection}; its slot index is stored in the connection itself. */
    void add(MqttConnectionHandler connection) {
        connection.sweepSlot(connections.size());
        connections.add(connection);
        if (!scheduled) {
            scheduled = true;
            executor.schedule(sweepTask, SWEEP_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Stops checking {@code connection}; does nothing if it is not checked. */
    void remove(MqttConnectionHandler connection) {
        int slot = connection.sweepSlot();
        if (slot < 0 || slot >= connections.size() || connections.get(slot) != connection) {
            return;
        }
        // Moves the last connection into the freed slot, so removal does not shift the list.
        MqttConnectionHandler last = connections.remove(connections.size() - 1);
        if (last != connection) {
            connections.set(slot, last);
            last.sweepSlot(slot);
        }
        connection.sweepSlot(-1);
    }

    /** Returns the number of connections checked on this loop. */
    int size() {
        return connections.size();
    }

    private void sweep() {
        long now = System.nanoTime();
        // Iterates backwards because a connection past its deadline removes itself, which moves the last
        // entry into its slot: every entry that moves has been visited already.
        for (int i = connections.size() - 1; i >= 0; i--) {
            if (i < connections.size()) {
                connections.get(i).checkDeadline(now);
            }
        }
        if (connections.isEmpty()) {
            scheduled = false;
            // Gives back the array that held the loop's connections once all of them are gone.
            connections.trimToSize();
            return;
        }
        executor.schedule(sweepTask, SWEEP_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }
}
