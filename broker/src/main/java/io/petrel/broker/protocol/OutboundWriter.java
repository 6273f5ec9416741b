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
 * <p>Threads: a writer that assigns topic aliases belongs to one connection and is used only on its
 * event loop. The writers of connections without a Maximum Packet Size or topic aliases hold no
 * state, so those connections share one writer per protocol version.
 */
final class OutboundWriter {

    private static final OutboundWriter UNLIMITED_MQTT3 = new OutboundWriter(false, Long.MAX_VALUE, 0);
    private static final OutboundWriter UNLIMITED_MQTT5 = new OutboundWriter(true, Long.MAX_VALUE, 0);

    private final boolean mqtt5;
    private final long maxPacketSize;
    private final int topicAliasMaximum;
    private final Map<String, Integer> topicAliases;

    private OutboundWriter(boolean mqtt5, long maxPacketSize, int topicAliasMaximum) {
        this.mqtt5 = mqtt5;
        this.maxPacketSize = maxPacketSize;
        this.topicAliasMaximum = mqtt5 ? topicAliasMaximum : 0;
        this.topicAliases = this.topicAliasMaximum > 0 ? new HashMap<>() : Map.of();
    }

    /**
     * Returns the writer of one connection: a shared one when the client set no limit that needs
     * state, otherwise a new one.
     *
     * @param maxPacketSize     the client's Maximum Packet Size, or {@link Long#MAX_VALUE} when unlimited
     * @param topicAliasMaximum the number of aliases the broker may assign, 0 for none
     */
    static OutboundWriter of(boolean mqtt5, long maxPacketSize, int topicAliasMaximum) {
        if (maxPacketSize == Long.MAX_VALUE && (!mqtt5 || topicAliasMaximum == 0)) {
            return mqtt5 ? UNLIMITED_MQTT5 : UNLIMITED_MQTT3;
        }
        return new OutboundWriter(mqtt5, maxPacketSize, topicAliasMaximum);
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

    /** Writes a PUBLISH to the connection of {@code ctx} without flushing. */
    void write(ChannelHandlerContext ctx, EncodedPublish publish, Delivery delivery, int packetId, boolean dup) {
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
