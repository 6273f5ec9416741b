package io.petrel.broker.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.TimeUnit;

/**
 * The broker's Netty event loops: one acceptor thread and the I/O threads that own connections and
 * sessions. Uses native epoll on Linux when its library loads, NIO otherwise.
 */
public final class EventLoops implements AutoCloseable {

    private final boolean epoll;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;

    /**
     * Creates the groups with {@code ioThreads} I/O threads, or one per available processor for 0.
     * Netty's own default for 0 would be twice the processors.
     */
    public EventLoops(int ioThreads) {
        this.epoll = Epoll.isAvailable();
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        int threads = ioThreads == 0 ? Runtime.getRuntime().availableProcessors() : ioThreads;
        this.acceptor = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("petrel-accept", true), factory);
        this.workers = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("petrel-io", true), factory);
    }

    /** Returns the number of I/O threads. */
    public int ioThreads() {
        return ((MultiThreadIoEventLoopGroup) workers).executorCount();
    }

    /** Returns true when the native epoll transport is in use. */
    public boolean nativeEpoll() {
        return epoll;
    }

    /** Returns the group that accepts connections. */
    public EventLoopGroup acceptor() {
        return acceptor;
    }

    /** Returns the group whose threads own connections and sessions and run expiry timers. */
    public EventLoopGroup workers() {
        return workers;
    }

    /** Creates an unregistered listening channel of the transport in use. */
    public ServerChannel newServerChannel() {
        return epoll ? new EpollServerSocketChannel() : new NioServerSocketChannel();
    }

    /** Shuts both groups down and waits up to five seconds for their threads to end. */
    @Override
    public void close() {
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        acceptor.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
