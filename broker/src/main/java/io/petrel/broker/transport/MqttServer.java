package io.petrel.broker.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelOption;
import io.petrel.api.BrokerException;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.protocol.ProtocolContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.TimeUnit;

/**
 * The TCP listener: a listening channel on the broker's acceptor event loop whose
 * {@link ConnectionAcceptor} gives each connection an MQTT pipeline with a single stage, the
 * connection handler. It decodes its input itself, with the packet-size limit, and writes encoded
 * bytes only (see {@code PacketWriter} and {@code EncodedPublish}), so an idle connection carries
 * no decoder or encoder stage.
 *
 * <p>Threads: {@link #start} and {@link #close} are called by the broker's lifecycle methods, which
 * serialize them.
 */
public final class MqttServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MqttServer.class);
    private static final int ACCEPT_BACKLOG = 4_096;

    private final BrokerConfig config;
    private final ProtocolContext context;
    private final EventLoops eventLoops;
    private Channel serverChannel;

    /** Creates a listener on {@code eventLoops}; nothing is bound until {@link #start()}. */
    public MqttServer(BrokerConfig config, ProtocolContext context, EventLoops eventLoops) {
        this.config = config;
        this.context = context;
        this.eventLoops = eventLoops;
    }

    /**
     * Binds the listener.
     *
     * @throws BrokerException if the address cannot be bound; the message names the address
     */
    public InetSocketAddress start() {
        String address = config.host() + ':' + config.port();
        Channel listening = eventLoops.newServerChannel();
        ChannelConfig listeningConfig = listening.config();
        listeningConfig.setOption(ChannelOption.SO_BACKLOG, ACCEPT_BACKLOG);
        listeningConfig.setOption(ChannelOption.SO_REUSEADDR, true);
        listening.pipeline().addLast("accept",
                new ConnectionAcceptor(context, eventLoops.workers()));
        ChannelFuture bound = eventLoops.acceptor().register(listening).awaitUninterruptibly();
        if (bound.isSuccess()) {
            bound = listening.bind(new InetSocketAddress(config.host(), config.port())).awaitUninterruptibly();
        }
        if (!bound.isSuccess()) {
            listening.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            Throwable cause = bound.cause();
            if (String.valueOf(cause.getMessage()).contains("in use")) {
                throw new BrokerException("cannot listen on " + address + ": the address is already in use; set "
                        + BrokerConfig.LISTENER_PORT + " to a free port", cause);
            }
            if (cause instanceof UnresolvedAddressException) {
                throw new BrokerException("cannot listen on " + address + ": the host '" + config.host()
                        + "' is not a valid IP address or a name that resolves; set " + BrokerConfig.LISTENER_HOST
                        + " to an address such as 127.0.0.1 or 0.0.0.0", cause);
            }
            String detail = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
            throw new BrokerException("cannot listen on " + address + ": " + detail, cause);
        }
        serverChannel = bound.channel();
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Stops accepting connections. Existing connections stay open. */
    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            LOG.info("Stopped listening on {}", serverChannel.localAddress());
            serverChannel = null;
        }
    }
}
