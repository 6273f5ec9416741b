package io.petrel.broker.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.petrel.api.Message;
import io.petrel.broker.routing.Delivery;

import java.util.HashMap;
import java.util.Map;

/**
 * Writes outbound PUBLISH packets of one connection, within the limits the client announced in its
 * CONNECT: Maximum Packet Size and Topic Alias Maximum. A PUBLISH that every subscriber receives
 * alike uses the shared encoding of {@link EncodedPublish}; subscription identifiers, a remaining
 * expiry interval, a topic alias or the DUP flag make this connection encode its own copy.
 *
 * <p>Threads: used only on the connection's event loop.
 */
final class OutboundWriter {

    private final ChannelHandlerContext ctx;
    private final boolean mqtt5;
    private final long maxPacketSize;
    private final int topicAliasMaximum;
    private final Map<String, Integer> topicAliases;

    /**
     * Creates the writer of one connection.
     *
     * @param maxPacketSize     the client's Maximum Packet Size, or {@link Long#MAX_VALUE} when unlimited
     * @param topicAliasMaximum the number of aliases the broker may assign, 0 for none
     */
    OutboundWriter(ChannelHandlerContext ctx, boolean mqtt5, long maxPacketSize, int topicAliasMaximum) {
        this.ctx = ctx;
        this.mqtt5 = mqtt5;
        this.maxPacketSize = maxPacketSize;
        this.topicAliasMaximum = mqtt5 ? topicAliasMaximum : 0;
        this.topicAliases = this.topicAliasMaximum > 0 ? new HashMap<>() : Map.of();
    }

    /** Returns the client's Maximum Packet Size, or {@link Long#MAX_VALUE} when unlimited. */
    long maxPacketSize() {
        return maxPacketSize;
    }

    /** Returns true if the PUBLISH fits the client's Maximum Packet Size [MQTT-3.1.2-24]. */
    boolean fits(EncodedPublish publish, Delivery delivery) {
        if (maxPacketSize == Long.MAX_VALUE) {
            return true;
        }
        Message message = publish.message();
        PublishVariant variant = mqtt5 ? variant(publish, delivery, false) : PublishVariant.NONE;
        return PublishEncoder.packetSize(message, mqtt5, delivery.qos().value(), variant) <= maxPacketSize;
    }

    /** Writes a PUBLISH without flushing. */
    void write(EncodedPublish publish, Delivery delivery, int packetId, boolean dup) {
        int qos = delivery.qos().value();
        boolean shared = !dup && (!mqtt5
                || (!delivery.hasSubscriptionIds() && !publish.hasExpiry() && topicAliasMaximum == 0));
        if (shared) {
            publish.write(ctx, mqtt5, qos, delivery.retain(), packetId);
            return;
        }
        PublishVariant variant = mqtt5 ? variant(publish, delivery, true) : PublishVariant.NONE;
        ctx.write(PublishEncoder.encode(ctx.alloc(), publish.message(), mqtt5, qos, delivery.retain(), dup, packetId,
                variant), ctx.voidPromise());
    }

    private PublishVariant variant(EncodedPublish publish, Delivery delivery, boolean assignAlias) {
        long expiry = publish.remainingExpirySeconds(System.nanoTime());
        int alias = 0;
        boolean omitTopic = false;
        if (topicAliasMaximum > 0) {
            String topic = publish.message().topic();
            Integer known = topicAliases.get(topic);
            if (known != null) {
                alias = known;
                omitTopic = true;
            } else if (topicAliases.size() < topicAliasMaximum) {
                // Aliases are given out first come, first served and kept for the connection's life.
                alias = topicAliases.size() + 1;
                if (assignAlias) {
                    topicAliases.put(topic, alias);
                }
            }
        }
        if (expiry < 0 && alias == 0 && !delivery.hasSubscriptionIds()) {
            return PublishVariant.NONE;
        }
        return new PublishVariant(delivery.subscriptionIds(), expiry, alias, omitTopic);
    }
}
