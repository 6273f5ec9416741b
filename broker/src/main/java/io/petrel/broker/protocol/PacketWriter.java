package io.petrel.broker.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;

/**
 * Writes the control packets of {@link Packets} to a connection, without a pipeline stage, so that
 * a connection's pipeline needs no handler context for an encoder. MQTT 5.0 packets are encoded with
 * netty-codec-mqtt's shared encoder, which reads the version from a channel attribute that
 * {@link #useMqtt5} sets. MQTT 3.1 and 3.1.1 packets, which have the same layout, are encoded by
 * {@link Mqtt3PacketEncoder}, because the shared encoder's version lookup would add an attribute map
 * to every MQTT 3 channel.
 *
 * <p>Stateless; called on the connection's event loop with the connection handler's context, whose
 * next outbound stage is the socket.
 */
final class PacketWriter {

    /** The channel attribute where netty-codec-mqtt's encoder looks up the protocol version. */
    private static final AttributeKey<MqttVersion> MQTT_VERSION = AttributeKey.valueOf("NETTY_CODEC_MQTT_VERSION");

    private PacketWriter() {
    }

    /** Makes the encoder write MQTT 5.0 packets to {@code channel} from now on. */
    static void useMqtt5(Channel channel) {
        channel.attr(MQTT_VERSION).set(MqttVersion.MQTT_5);
    }

    /**
     * Writes an MQTT 3 PUBACK for {@code packetId} without flushing and without a packet object, or
     * returns false, writing nothing, when the connection speaks MQTT 5.0.
     */
    static boolean writeMqtt3PubAck(ChannelHandlerContext ctx, int packetId) {
        if (ctx.channel().hasAttr(MQTT_VERSION)) {
            return false;
        }
        ctx.write(Mqtt3PacketEncoder.pubAck(ctx.alloc(), packetId), ctx.voidPromise());
        return true;
    }

    /** Encodes and writes {@code packet} without flushing; a failure goes to the pipeline. */
    static void write(ChannelHandlerContext ctx, MqttMessage packet) {
        write(ctx, packet, ctx.voidPromise());
    }

    /** Encodes, writes and flushes {@code packet}; the returned future completes when it was sent. */
    static ChannelFuture writeAndFlush(ChannelHandlerContext ctx, MqttMessage packet) {
        ChannelPromise promise = ctx.newPromise();
        write(ctx, packet, promise);
        ctx.flush();
        return promise;
    }

    /** Encodes and writes {@code packet}, then flushes; a failure goes to the pipeline. */
    static void writeAndFlushVoid(ChannelHandlerContext ctx, MqttMessage packet) {
        write(ctx, packet, ctx.voidPromise());
        ctx.flush();
    }

    private static void write(ChannelHandlerContext ctx, MqttMessage packet, ChannelPromise promise) {
        // hasAttr, unlike attr, adds no attribute to the channel.
        if (!ctx.channel().hasAttr(MQTT_VERSION)) {
            ByteBuf encoded = Mqtt3PacketEncoder.encode(ctx.alloc(), packet);
            if (encoded != null) {
                ctx.write(encoded, promise);
                return;
            }
        }
        try {
            // The encoder releases the packet and writes the encoded bytes to the stage after ctx.
            MqttEncoder.INSTANCE.write(ctx, packet, promise);
        } catch (Exception e) {
            // Only a packet the encoder cannot encode gets here; a void promise passes the failure
            // on to exceptionCaught, as a failing pipeline stage would.
            promise.tryFailure(e);
        }
    }
}
