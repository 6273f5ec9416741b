package io.petrel.api;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * A point-in-time view of a broker, for health checks and operators.
 *
 * @param running                true between a successful {@code start()} and {@code close()}
 * @param listeners              the bound address of each network listener
 * @param connectedClients       network connections that completed CONNECT
 * @param sessions               sessions held by the broker, connected or not
 * @param subscriptions          network and in-process subscriptions in the routing table
 * @param retainedMessages       topics that have a retained message
 * @param localSubscriptions     each active in-process subscription, in no particular order
 */
public record BrokerStatus(
        boolean running,
        List<InetSocketAddress> listeners,
        int connectedClients,
        int sessions,
        long subscriptions,
        long retainedMessages,
        List<SubscriptionStatus> localSubscriptions) {

    /** Copies the lists so the status stays immutable. */
    public BrokerStatus {
        listeners = List.copyOf(listeners);
        localSubscriptions = List.copyOf(localSubscriptions);
    }

    /** Creates a status without in-process subscription details. */
    public BrokerStatus(boolean running, List<InetSocketAddress> listeners, int connectedClients, int sessions,
                        long subscriptions, long retainedMessages) {
        this(running, listeners, connectedClients, sessions, subscriptions, retainedMessages, List.of());
    }
}
