package io.petrel.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.protocol.PublishEncoder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Encoding one PUBLISH for {@code subscribers} MQTT 3.1.1 connections and writing it to each, the
 * step between routing and the socket. Each subscriber is an {@link EmbeddedChannel} whose pipeline
 * ends in a handler that counts and releases every written buffer, as a socket write would, so the
 * figure contains encoding, buffer sharing and the pipeline write but no system call.
 *
 * <ul>
 *   <li>{@code shared} writes through {@link EncodedPublish}, each subscriber holding a user
 *       reference as a session does: the packet is encoded once, QoS 0 subscribers get retained
 *       duplicates, QoS 1 subscribers a shared head and tail around their own two-byte packet
 *       identifier. A single subscriber holds the only reference, so it gets a packet encoded for it
 *       alone, packet identifier included.</li>
 *   <li>{@code perSubscriber} encodes a complete packet for every subscriber with
 *       {@link PublishEncoder#encode}, the baseline that sharing saves.</li>
 * </ul>
 * One operation is one PUBLISH written to all subscribers; multiply by {@code subscribers} for
 * packets per second.
 *
 * <p>Run it with
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks -am
 * java -jar benchmarks/target/benchmarks.jar PublishEncodeBenchmark -f 1 -wi 3 -i 5
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PublishEncodeBenchmark {

    private static final String TOPIC = "site/17/device/42/temp";

    @Param({"1", "1000"})
    public int subscribers;

    @Param({"0", "1"})
    public int qos;

    @Param({"64"})
    public int payloadBytes;

    private EmbeddedChannel[] channels;
    private ChannelHandlerContext[] contexts;
    private Message message;
    private final DiscardingWriter writer = new DiscardingWriter();

    @Setup(Level.Trial)
    public void openChannels() {
        message = Message.builder(TOPIC).payload(new byte[payloadBytes]).qos(Qos.of(qos)).build();
        channels = new EmbeddedChannel[subscribers];
        contexts = new ChannelHandlerContext[subscribers];
        for (int i = 0; i < subscribers; i++) {
            // Writes from the last handler's context pass through the writer, which replaces the socket.
            channels[i] = new EmbeddedChannel(writer, new ChannelInboundHandlerAdapter());
            contexts[i] = channels[i].pipeline().lastContext();
        }
    }

    @TearDown(Level.Trial)
    public void closeChannels() {
        for (EmbeddedChannel channel : channels) {
            channel.finishAndReleaseAll();
        }
    }

    @Benchmark
    public long shared() {
        EncodedPublish publish = new EncodedPublish(message);
        // As in routing, each subscriber's queue takes a user reference before the router gives its
        // own back, and each subscriber gives its reference back once the packet is written.
        for (int i = 0; i < contexts.length; i++) {
            publish.retainUser();
        }
        publish.releaseUser();
        for (int i = 0; i < contexts.length; i++) {
            publish.write(contexts[i], false, qos, false, packetId(i));
            publish.releaseUser();
        }
        return writer.writtenBytes;
    }

    @Benchmark
    public long perSubscriber() {
        for (int i = 0; i < contexts.length; i++) {
            ChannelHandlerContext ctx = contexts[i];
            ctx.write(PublishEncoder.encode(ctx.alloc(), message, false, qos, false, false, packetId(i)),
                    ctx.voidPromise());
        }
        return writer.writtenBytes;
    }

    /** Returns a packet identifier from 1 to 65,535 for the subscriber at {@code index}. */
    private static int packetId(int index) {
        return index % 0xFFFF + 1;
    }

    /**
     * Counts and releases every outbound buffer. Shared by the channels of one benchmark thread, which
     * all run on that thread because an {@link EmbeddedChannel} executes its pipeline on the caller.
     */
    @ChannelHandler.Sharable
    static final class DiscardingWriter extends ChannelOutboundHandlerAdapter {
        long writtenBytes;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf buffer) {
                writtenBytes += buffer.readableBytes();
            }
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
        }
    }
}
