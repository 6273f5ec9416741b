package io.petrel.broker.protocol;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;

/**
 * Writes the control packets of {@link Packets} to a connection. The packets are encoded with
 * netty-codec-mqtt's shared encoder, called directly instead of through a pipeline stage, so that
 * a connection's pipeline needs no handler context for the encoder. The encoder picks the MQTT 3
 * or 5 layout from a channel attribute, which {@link #useMqtt5} sets for MQTT 5.0 connections only:
 * without it the encoder writes MQTT 3.1.1 packets, which are also the MQTT 3.1 ones for every
 * packet written here, so MQTT 3 connections carry no attribute map.
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
