package io.petrel.broker.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannelConfig;
import io.petrel.broker.protocol.MqttConnectionHandler;
import io.petrel.broker.protocol.ProtocolContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * The only stage of the listening channel's pipeline: it gives each accepted channel its connection
 * handler, socket settings and receive-buffer sizing and registers it with an I/O event loop. Netty's
 * {@code ServerBootstrap} would add a {@code ChannelInitializer} to every accepted channel, which
 * costs a handler context, a map entry and a registration listener per connection.
 *
 * <p>Threads: one instance per listening channel, used on the acceptor event loop.
 */
final class ConnectionAcceptor extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionAcceptor.class);
    /**
     * Socket reads per read loop of a connection: one, so that the other connections of the loop get
     * their turn after each read. The broker's throughput and latency figures were measured this way.
     * Netty's default for epoll sockets is 16.
     */
    private static final int READS_PER_LOOP = 1;
    /** How long accepting pauses after a failed accept, such as when the process has no file descriptor left. */
    private static final long ACCEPT_PAUSE_MILLIS = 1_000;

    /** Closes a channel whose registration with an I/O event loop failed; shared by all channels. */
    private static final ChannelFutureListener CLOSE_IF_NOT_REGISTERED = future -> {
        if (!future.isSuccess()) {
            LOG.warn("Closing accepted connection from {}: registering it with an I/O thread failed",
                    future.channel().remoteAddress(), future.cause());
            future.channel().unsafe().closeForcibly();
        }
    };

    private final ProtocolContext context;
    private final EventLoopGroup workers;

    ConnectionAcceptor(ProtocolContext context, EventLoopGroup workers) {
        this.context = context;
        this.workers = workers;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        try {
            ChannelConfig config = child.config();
            if (config instanceof SocketChannelConfig socket) {
                socket.setTcpNoDelay(true);
            }
            config.setRecvByteBufAllocator(new ReceiveBufferSizing(READS_PER_LOOP));
            child.pipeline().addLast("mqtt", new MqttConnectionHandler(context));
            workers.register(child).addListener(CLOSE_IF_NOT_REGISTERED);
        } catch (RuntimeException e) {
            LOG.warn("Closing accepted connection from {}: setting it up failed", child.remoteAddress(), e);
            child.unsafe().closeForcibly();
        }
    }

    /**
     * Pauses accepting for a second after an accept failed, so that a lasting cause (such as no file
     * descriptor left) does not make the acceptor thread retry in a busy loop.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ChannelConfig config = ctx.channel().config();
        if (config.isAutoRead()) {
            config.setAutoRead(false);
            ctx.channel().eventLoop().schedule(() -> config.setAutoRead(true), ACCEPT_PAUSE_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
        if (cause instanceof IOException) {
            // The operating system's reason, such as "Too many open files", explains the failure. A stack
            // trace at every pause would flood the log while the condition lasts.
            LOG.warn("Accepting a connection on {} failed: {}; pausing accepts for {} ms",
                    ctx.channel().localAddress(), cause.getMessage(), ACCEPT_PAUSE_MILLIS);
        } else {
            LOG.warn("Accepting a connection on {} failed; pausing accepts for {} ms", ctx.channel().localAddress(),
                    ACCEPT_PAUSE_MILLIS, cause);
        }
    }
}
