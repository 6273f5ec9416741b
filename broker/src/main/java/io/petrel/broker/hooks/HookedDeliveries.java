package io.petrel.broker.hooks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.petrel.api.Message;
import io.petrel.api.hook.AuthorizationAction;
import io.petrel.api.hook.ClientInfo;
import io.petrel.api.hook.InterceptResult;
import io.petrel.api.hook.PublishEvent;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.observability.BrokerMetrics.DropReason;
import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.routing.Delivery;
import io.petrel.broker.routing.DeliveryGate;
import io.petrel.broker.routing.SharedGroup;
import io.petrel.broker.routing.Subscriber;
import io.petrel.broker.session.Session;

import java.util.concurrent.CompletableFuture;

/**
 * The delivery gate of a broker with hooks: checks that each network subscriber may receive the
 * topic, then runs the outbound publish interceptors for that subscriber.
 *
 * <p>Ordering: while an interceptor stage for a subscriber is pending, later messages for the same
 * subscriber wait behind it in that subscriber's {@link InOrder}, so the subscriber receives them in
 * the order they were routed. The sequences are held by weak keys and vanish with their subscriber.
 *
 * <p>Thread-safe: runs on publisher threads; delayed deliveries run on the thread that completes the
 * interceptor stage.
 */
final class HookedDeliveries implements DeliveryGate {

    private final Authorizations authorizations;
    private final InterceptorChain interceptors;
    private final BrokerMetrics metrics;
    private final Cache<Subscriber, InOrder> sequences = Caffeine.newBuilder().weakKeys().build();

    HookedDeliveries(Authorizations authorizations, InterceptorChain interceptors, BrokerMetrics metrics) {
        this.authorizations = authorizations;
        this.interceptors = interceptors;
        this.metrics = metrics;
    }

    @Override
    public CompletableFuture<Void> deliver(Subscriber subscriber, EncodedPublish publish, Delivery delivery,
                                           SharedGroup group) {
        if (subscriber instanceof SharedGroup sharedGroup) {
            // The group passes the member it picks through this gate.
            return sharedGroup.offer(publish, delivery);
        }
        ClientInfo client = clientOf(subscriber);
        Message message = publish.message();
        if (!authorizations.allows(client, AuthorizationAction.RECEIVE, message.topic())) {
            metrics.dropped(DropReason.NOT_AUTHORIZED);
            return SETTLED;
        }
        if (interceptors.publishOutboundEmpty()) {
            return DeliveryGate.handOver(subscriber, publish, delivery, group);
        }
        Message delivered = message;
        if (message.qos() != delivery.qos() || message.retain() != delivery.retain()) {
            delivered = message.toBuilder().qos(delivery.qos()).retain(delivery.retain()).build();
        }
        Message seen = delivered;
        CompletableFuture<Void> handedOver = new CompletableFuture<>();
        publish.retainUser();
        sequences.get(subscriber, key -> new InOrder()).add(
                interceptors.onPublishOutbound(new PublishEvent(client, delivered)),
                result -> {
                    try {
                        complete(subscriber, publish, delivery, group, seen, result).whenComplete((ignored, error) -> {
                            if (error != null) {
                                handedOver.completeExceptionally(error);
                            } else {
                                handedOver.complete(null);
                            }
                        });
                    } finally {
                        publish.releaseUser();
                    }
                });
        return handedOver;
    }

    private CompletableFuture<Void> complete(Subscriber subscriber, EncodedPublish publish, Delivery delivery,
                                             SharedGroup group, Message seen, InterceptResult<PublishEvent> result) {
        if (result.isRejected()) {
            metrics.dropped(DropReason.REJECTED_BY_INTERCEPTOR);
            return SETTLED;
        }
        Message changed = result.changedEvent().map(PublishEvent::message).orElse(seen);
        if (changed == seen) {
            return DeliveryGate.handOver(subscriber, publish, delivery, group);
        }
        // The delivery keeps deciding the QoS and retain flag; the expiry interval counts from the first receipt.
        EncodedPublish copy = new EncodedPublish(changed, publish.receivedAtNanos());
        try {
            return DeliveryGate.handOver(subscriber, copy, delivery, group);
        } finally {
            copy.releaseUser();
        }
    }

    private static ClientInfo clientOf(Subscriber subscriber) {
        if (subscriber instanceof Session session) {
            ClientInfo client = session.client();
            return client != null ? client : ClientInfo.builder(session.clientId()).build();
        }
        return ClientInfo.inProcess();
    }
}
