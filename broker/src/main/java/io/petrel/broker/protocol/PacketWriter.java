package io.petrel.broker.protocol;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;

/**
 * Writes the control packets of {@link Packets} to a connection. The packets are encoded with
 * netty-codec-mqtt's shared encoder, called directly instead of through a pipeline stage, so that
 * a connection's pipeline needs no handler context for the encoder. The encoder picks the MQTT 3
 * or 5 layout from the version the decoder stored on the channel.
 *
 * <p>Stateless; called on the connection's event loop with the connection handler's context, whose
 * next outbound stage is the socket.
 */
final class PacketWriter {

    private PacketWriter() {
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
