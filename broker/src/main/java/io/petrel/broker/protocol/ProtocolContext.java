package io.petrel.broker.protocol;

import io.netty.channel.group.ChannelGroup;
import io.petrel.api.hook.EnhancedAuthenticator;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.hooks.BrokerHooks;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.routing.MessageRouter;
import io.petrel.broker.session.SessionRegistry;

import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The broker services every connection handler uses, shared by all connections.
 *
 * @param config    the validated broker configuration
 * @param registry  sessions and their subscriptions
 * @param router    routing to subscribers and the retained index
 * @param metrics   the meter catalogue
 * @param connected channels that completed CONNECT, closed together on shutdown
 * @param authenticators the MQTT 5.0 enhanced authenticators by method name
 * @param hooks     the authenticators, authorizers and interceptors
 * @param violationLog the rate-limited log of rejected and closed connections, one per broker
 */
public record ProtocolContext(
        BrokerConfig config,
        SessionRegistry registry,
        MessageRouter router,
        BrokerMetrics metrics,
        ChannelGroup connected,
        Map<String, EnhancedAuthenticator> authenticators,
        BrokerHooks hooks,
        ViolationLog violationLog) {

    /** Copies the authenticator map so the context stays immutable. */
    public ProtocolContext {
        authenticators = Map.copyOf(authenticators);
    }

    /** Creates a context with a violation log of its own, logging as the connection handler. */
    public ProtocolContext(BrokerConfig config, SessionRegistry registry, MessageRouter router, BrokerMetrics metrics,
                           ChannelGroup connected, Map<String, EnhancedAuthenticator> authenticators,
                           BrokerHooks hooks) {
        this(config, registry, router, metrics, connected, authenticators, hooks,
                new ViolationLog(LoggerFactory.getLogger(MqttConnectionHandler.class)));
    }
}
