package io.petrel.benchmarks.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One MQTT 3.1.1 client connection of the load driver: connects with a clean session, subscribes,
 * acknowledges inbound QoS 1 messages, sends PINGREQ every three quarters of the keepalive and hands
 * received PUBLISH payloads and PUBACKs to its {@link ConnectionListener}.
 *
 * <p>Threads: the decoder and every listener call run on the channel's event loop. {@link #open},
 * {@link #subscribe} and {@link #close} may be called from any thread.
 */
final class ClientConnection extends ByteToMessageDecoder {

    private static final int MAX_FIXED_HEADER_BYTES = 5;

    private final String clientId;
    private final int keepAliveSeconds;
    private final Credentials credentials;
    private final boolean cleanSession;
    private final ConnectionListener listener;
    private final CompletableFuture<ClientConnection> connected = new CompletableFuture<>();
    private final CompletableFuture<Void> subscribed = new CompletableFuture<>();
    private volatile Channel channel;
    private volatile boolean closeRequested;
    private volatile boolean closedByBroker;
    private volatile int requestedQos;
    private volatile String subscribedFilter;
    private ByteBuf pendingAcks;
    private ScheduledFuture<?> pinger;

    private ClientConnection(String clientId, int keepAliveSeconds, Credentials credentials, boolean cleanSession,
                             ConnectionListener listener) {
        this.clientId = clientId;
        this.keepAliveSeconds = keepAliveSeconds;
        this.credentials = credentials;
        this.cleanSession = cleanSession;
        this.listener = listener;
    }

    /**
     * Opens a TCP connection to {@code address} and sends CONNECT. The future completes when the
     * broker accepts the connection, and fails if it rejects it, the TCP connect fails or no CONNACK
     * arrives within {@code timeoutMillis}.
     */
    static CompletableFuture<ClientConnection> open(Bootstrap bootstrap, InetSocketAddress address, String clientId,
                                                    int keepAliveSeconds, Credentials credentials, boolean cleanSession,
                                                    ConnectionListener listener, long timeoutMillis) {
        ClientConnection connection = new ClientConnection(clientId, keepAliveSeconds, credentials, cleanSession,
                listener);
        ChannelFuture connect = bootstrap.clone().handler(connection).connect(address);
        connection.channel = connect.channel();
        if (connect.isDone() && !connect.isSuccess() && !connect.channel().isRegistered()) {
            // Creating or registering the channel failed, for example with EMFILE (too many open
            // files), so the channel has no event loop to run the timeout on.
            connection.connected.completeExceptionally(connect.cause());
            return connection.connected;
        }
        connect.addListener(future -> {
            if (!future.isSuccess()) {
                connection.connected.completeExceptionally(future.cause());
            }
        });
        connect.channel().eventLoop().schedule(() -> {
            if (connection.connected.completeExceptionally(new TimeoutException(
                    "no CONNACK from " + address + " within " + timeoutMillis + " ms for client " + clientId))) {
                connect.channel().close();
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        return connection.connected;
    }

    /** Returns the channel. */
    Channel channel() {
        return channel;
    }

    /** Returns the client identifier. */
    String clientId() {
        return clientId;
    }

    /** Returns true while the TCP connection is open. */
    boolean isOpen() {
        return channel.isActive();
    }

    /**
     * Returns true if the connection closed after CONNACK without a call to {@link #close}, because
     * the broker closed it, the network failed or the driver closed it on malformed input.
     */
    boolean closedByBroker() {
        return closedByBroker;
    }

    /**
     * Subscribes to one filter. The future completes on a SUBACK that grants {@code qos} and fails on
     * one that rejects the subscription or grants a lower QoS. One subscription per connection.
     */
    CompletableFuture<Void> subscribe(String filter, int qos) {
        requestedQos = qos;
        subscribedFilter = filter;
        ByteBuf packet = channel.alloc().buffer();
        Packets.subscribe(packet, 1, filter, qos);
        channel.writeAndFlush(packet).addListener(future -> {
            if (!future.isSuccess()) {
                subscribed.completeExceptionally(future.cause());
            }
        });
        return subscribed;
    }

    /** Sends DISCONNECT and closes the connection; returns the close future. */
    ChannelFuture close() {
        closeRequested = true;
        Channel current = channel;
        if (current.isActive()) {
            ByteBuf packet = current.alloc().buffer(2);
            Packets.disconnect(packet);
            current.writeAndFlush(packet);
        }
        return current.close();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ByteBuf packet = ctx.alloc().buffer();
        Packets.connect(packet, clientId, keepAliveSeconds, cleanSession, credentials);
        ctx.writeAndFlush(packet);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (pinger != null) {
            pinger.cancel(false);
        }
        if (pendingAcks != null) {
            pendingAcks.release();
            pendingAcks = null;
        }
        if (connected.isDone() && !connected.isCompletedExceptionally() && !closeRequested) {
            closedByBroker = true;
        }
        IOException closed = new IOException("connection of client " + clientId + " closed");
        connected.completeExceptionally(closed);
        subscribed.completeExceptionally(closed);
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        connected.completeExceptionally(cause);
        subscribed.completeExceptionally(cause);
        ctx.close();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        listener.writabilityChanged(ctx.channel().isWritable());
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (pendingAcks != null) {
            ctx.writeAndFlush(pendingAcks);
            pendingAcks = null;
        }
        super.channelReadComplete(ctx);
    }

    /** Decodes one packet if it is complete; otherwise leaves the bytes for the next read. */
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws IOException {
        int start = in.readerIndex();
        int available = in.readableBytes();
        if (available < 2) {
            return;
        }
        int remaining = 0;
        int multiplier = 1;
        int index = start + 1;
        int digit;
        do {
            if (index - start >= MAX_FIXED_HEADER_BYTES) {
                throw new IOException("malformed remaining length from the broker on client " + clientId);
            }
            if (index >= start + available) {
                return;
            }
            digit = in.getUnsignedByte(index++);
            remaining += (digit & 0x7F) * multiplier;
            multiplier <<= 7;
        } while ((digit & 0x80) != 0);
        int bodyStart = index;
        if (bodyStart - start + remaining > available) {
            return;
        }
        int header = in.getUnsignedByte(start);
        in.readerIndex(bodyStart + remaining);
        handle(ctx, header >>> 4, header & 0x0F, in, bodyStart, remaining);
    }

    private void handle(ChannelHandlerContext ctx, int type, int flags, ByteBuf in, int body, int length) {
        switch (type) {
            case Packets.PUBLISH -> publishReceived(ctx, flags, in, body, length);
            case Packets.PUBACK -> listener.pubAckReceived(in.getUnsignedShort(body));
            case Packets.CONNACK -> connAckReceived(ctx, in.getUnsignedByte(body + 1));
            case Packets.SUBACK -> subAckReceived(in.getUnsignedByte(body + 2));
            case Packets.PINGRESP -> {
                // The connection is alive; nothing else to do.
            }
            default -> throw new IllegalStateException("unexpected packet type " + type + " from the broker on client "
                    + clientId);
        }
    }

    private void publishReceived(ChannelHandlerContext ctx, int flags, ByteBuf in, int body, int length) {
        long now = System.nanoTime();
        int qos = (flags >>> 1) & 0x03;
        int topicLength = in.getUnsignedShort(body);
        int payloadStart = body + 2 + topicLength + (qos > 0 ? 2 : 0);
        if (qos > 0) {
            int packetId = in.getUnsignedShort(body + 2 + topicLength);
            if (pendingAcks == null) {
                pendingAcks = ctx.alloc().buffer(256);
            }
            Packets.pubAck(pendingAcks, packetId); // a QoS 2 PUBLISH is never requested by the driver
        }
        listener.publishReceived(in.slice(payloadStart, body + length - payloadStart), now);
    }

    private void connAckReceived(ChannelHandlerContext ctx, int returnCode) {
        if (returnCode != 0) {
            connected.completeExceptionally(new ConnectionRefusedException(clientId, returnCode, credentials));
            ctx.close();
            return;
        }
        if (keepAliveSeconds > 0) {
            long periodMillis = keepAliveSeconds * 750L;
            pinger = ctx.executor().scheduleAtFixedRate(() -> {
                ByteBuf ping = ctx.alloc().buffer(2);
                Packets.pingReq(ping);
                ctx.writeAndFlush(ping);
            }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        }
        connected.complete(this);
    }

    private void subAckReceived(int returnCode) {
        if (returnCode == 0x80) {
            subscribed.completeExceptionally(new IOException("broker rejected the subscription of client " + clientId
                    + " to '" + subscribedFilter + "'"));
        } else if (returnCode < requestedQos) {
            subscribed.completeExceptionally(new IOException("broker granted QoS " + returnCode + " to the subscription"
                    + " of client " + clientId + " to '" + subscribedFilter + "', but --qos " + requestedQos
                    + " was requested; the delivery accounting needs the requested QoS, so lower --qos or raise"
                    + " the broker's maximum QoS"));
        } else {
            subscribed.complete(null);
        }
    }

    /** A CONNACK with a non-zero return code, named as in table 3.1 of MQTT 3.1.1. */
    static final class ConnectionRefusedException extends IOException {

        private static final String[] REASONS = {
            "accepted",
            "unacceptable protocol version",
            "identifier rejected",
            "server unavailable",
            "bad user name or password",
            "not authorized",
        };

        ConnectionRefusedException(String clientId, int returnCode, Credentials credentials) {
            super("broker rejected client " + clientId + " with CONNACK return code " + returnCode + " ("
                    + (returnCode < REASONS.length ? REASONS[returnCode] : "reserved") + ")"
                    + (returnCode == 4 || returnCode == 5 ? hint(credentials) : ""));
        }

        private static String hint(Credentials credentials) {
            if (credentials.username() == null) {
                return "; the driver connected without a user name or password, so pass --username and --password"
                        + " or allow anonymous clients on the broker";
            }
            return "; the driver connected with " + credentials + ", so check --username and --password and"
                    + " the broker's access rules";
        }
    }
}
