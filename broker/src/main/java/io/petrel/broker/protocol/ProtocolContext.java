package io.petrel.broker.protocol;

import io.netty.channel.group.ChannelGroup;
import io.petrel.api.hook.EnhancedAuthenticator;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.routing.MessageRouter;
import io.petrel.broker.session.SessionRegistry;

import java.util.Map;

/**
 * The broker services every connection handler uses, shared by all connections.
 *
 * @param config    the validated broker configuration
 * @param registry  sessions and their subscriptions
 * @param router    routing to subscribers and the retained index
 * @param metrics   the meter catalogue
 * @param connected channels that completed CONNECT, closed together on shutdown
 * @param authenticators the MQTT 5.0 enhanced authenticators by method name
 */
public record ProtocolContext(
        BrokerConfig config,
        SessionRegistry registry,
        MessageRouter router,
        BrokerMetrics metrics,
        ChannelGroup connected,
        Map<String, EnhancedAuthenticator> authenticators) {

    /** Copies the authenticator map so the context stays immutable. */
    public ProtocolContext {
        authenticators = Map.copyOf(authenticators);
    }
}
