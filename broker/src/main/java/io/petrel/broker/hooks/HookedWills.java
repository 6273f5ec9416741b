package io.petrel.broker.hooks;

import io.petrel.api.Message;
import io.petrel.api.hook.AuthorizationAction;
import io.petrel.api.hook.ClientInfo;
import io.petrel.api.hook.PublishEvent;
import io.petrel.broker.routing.MessageRouter;
import io.petrel.broker.session.Session;
import io.petrel.broker.session.WillPublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes wills as a publish of the client that set them: the authorizers must allow it (without
 * the cache, which dropped the client's decisions when its connection closed), and the inbound
 * publish interceptors may change or reject it. Thread-safe.
 */
final class HookedWills implements WillPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(HookedWills.class);

    private final Authorizations authorizations;
    private final InterceptorChain interceptors;
    private final MessageRouter router;

    HookedWills(Authorizations authorizations, InterceptorChain interceptors, MessageRouter router) {
        this.authorizations = authorizations;
        this.interceptors = interceptors;
        this.router = router;
    }

    @Override
    public void publish(Session session, Message will) {
        ClientInfo client = session.client() != null ? session.client() : ClientInfo.builder(session.clientId()).build();
        if (!authorizations.allowsUncached(client, AuthorizationAction.PUBLISH, will.topic())) {
            LOG.debug("Dropped the will of client {} on '{}': the authorizers denied the publish",
                    session.clientId(), will.topic());
            return;
        }
        if (interceptors.publishInboundEmpty()) {
            router.route(will, session);
            return;
        }
        interceptors.onPublishInbound(new PublishEvent(client, will)).thenAccept(result -> {
            if (result.isRejected()) {
                LOG.debug("Dropped the will of client {} on '{}': an interceptor rejected it ({})",
                        session.clientId(), will.topic(), result.reason());
                return;
            }
            router.route(result.changedEvent().map(PublishEvent::message).orElse(will), session);
        });
    }
}
