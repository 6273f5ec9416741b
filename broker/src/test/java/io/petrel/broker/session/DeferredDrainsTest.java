package io.petrel.broker.session;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link DeferredDrains#flushAfterHandOver}, on a real event loop with local channels. */
class DeferredDrainsTest {

    private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private final List<String> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopLoop() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void flushRunsAfterRequestingTask() {
        ChannelHandlerContext ctx = register("first", flushed -> { });

        ctx.executor().submit(() -> {
            DeferredDrains.flushAfterHandOver(ctx);
            events.add("task done");
        }).syncUninterruptibly();

        await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 2);
        assertEquals(List.of("task done", "flush first"), events);
    }

    @Test
    void flushRequestedByFlushRunsLater() {
        ChannelHandlerContext second = register("second", flushed -> { });
        ChannelHandlerContext first = register("first", flushed -> DeferredDrains.flushAfterHandOver(second));

        first.executor().submit(() -> DeferredDrains.flushAfterHandOver(first)).syncUninterruptibly();

        await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 2);
        assertEquals(List.of("flush first", "flush second"), events);
    }

    /**
     * Registers a channel that records each flush as "flush NAME" and then calls {@code onFlush}, and
     * returns the context of the stage behind the recorder, whose flushes pass through it.
     */
    private ChannelHandlerContext register(String name, Consumer<String> onFlush) {
        Channel channel = new LocalChannel();
        channel.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                events.add("flush " + name);
                onFlush.accept(name);
                ctx.flush();
            }
        });
        channel.pipeline().addLast("connection", new ChannelDuplexHandler());
        loop.register(channel).syncUninterruptibly();
        return channel.pipeline().context("connection");
    }
}
