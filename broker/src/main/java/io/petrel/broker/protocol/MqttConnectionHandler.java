package io.petrel.broker.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.petrel.api.Message;
import io.petrel.api.hook.ClientInfo;
import io.petrel.api.hook.DisconnectEvent;
import io.petrel.api.hook.EnhancedAuthenticator;
import io.petrel.broker.observability.LogText;
import io.petrel.broker.observability.RateLimitedLogger;
import io.petrel.broker.routing.Delivery;
import io.petrel.broker.session.ConnectOutcome;
import io.petrel.broker.session.DeferredDrains;
import io.petrel.broker.session.Session;
import io.petrel.broker.session.SessionConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * The MQTT state machine of one network connection: CONNECT, then PUBLISH flows in both directions,
 * SUBSCRIBE, UNSUBSCRIBE, PINGREQ and DISCONNECT, with keepalive and connect timeouts.
 *
 * <p>Threads: one instance per connection, used only on the connection's event loop, except
 * {@link #takeOver()} and {@link #shutDown()}, which hand their work to that event loop. Every
 * protocol violation leaves through {@link #reject}, which counts it, logs it and replies as the
 * client's protocol version requires.
 *
 * <p>Memory: a connection has no timer and, while idle, no buffer of its own. The connect timeout
 * and keepalive are checked by the {@link ConnectionSweep} of its event loop, and the CONNECT
 * request is dropped once CONNACK is written; only the facts needed later are kept in fields. The
 * handler decodes its input itself with the stateless {@link PacketDecoder} and keeps received
 * bytes only while a packet is partly received.
 *
 * <p>Packets that arrive while the connection waits (for its session in state CONNECTING, for the
 * authenticators and connect interceptors in state ADMITTING, or for an asynchronous hook on a
 * PUBLISH or SUBSCRIBE) are held in arrival order and processed when the wait ends, with reading
 * paused meanwhile.
 */
public final class MqttConnectionHandler extends ChannelInboundHandlerAdapter implements SessionConnection {

    private static final Logger LOG = LoggerFactory.getLogger(MqttConnectionHandler.class);

    private static final CompletableFuture<Void> DETACHED = CompletableFuture.completedFuture(null);
    private static final AtomicReferenceFieldUpdater<MqttConnectionHandler, CompletableFuture> DETACHED_UPDATER =
            AtomicReferenceFieldUpdater.newUpdater(MqttConnectionHandler.class, CompletableFuture.class, "detached");

    /** The will of the CONNECT and its delay interval in seconds. */
    private record Will(Message message, long delaySeconds) {
    }

    private static final byte READ_PACKET = 1;
    private static final byte READ_PUBLISH = 2;

    private enum State { AWAITING_CONNECT, AUTHENTICATING, ADMITTING, CONNECTING, CONNECTED, CLOSED }

    private final ProtocolContext context;
    // Created by the first takeOver(), or set to DETACHED when the connection detaches first, so that
    // a connection that is never taken over allocates no future. Read and set from any thread.
    private volatile CompletableFuture<Void> detached;
    // Created only when authenticators or connect interceptors are installed.
    private ConnectAdmission admission;
    // Created when the first packet has to wait, so that most connections never allocate it. Contains
    // MqttMessage packets, DecodedConnect packets and PublishPacket copies.
    private ArrayDeque<Object> held;

    private ChannelHandlerContext ctx;
    // The start of a partly received packet, null when the input ended at a packet boundary.
    private ByteBuf partialPacket;
    // Set once a packet failed to decode: the input after it has no packet boundaries to trust.
    private boolean discardInput;
    // The fields of the PUBLISH decoded last. Its topic name is reused by the next PUBLISH with the same
    // bytes. Created before the first PUBLISH is decoded, so that an idle or subscribing connection keeps none.
    private PublishPacket publish;
    // Volatile only so that isOpen() may be read from other threads; written on the event loop.
    private volatile State state = State.AWAITING_CONNECT;
    // When the connection must have completed its CONNECT, in System.nanoTime() terms.
    private long connectDeadlineNanos;
    // The accepted CONNECT until CONNACK is written; null afterwards.
    private ConnectRequest request;
    private String clientId;
    private int keepAliveSeconds;
    // The sweep of this connection's event loop, which checks the connect timeout and the keepalive.
    private ConnectionSweep sweep;
    private int sweepSlot = -1;
    private long lastPacketNanos;
    // The packet kinds of the current socket read: READ_PACKET for any packet, plus READ_PUBLISH for a
    // PUBLISH, whose flush then waits for the drains it requested. Held packets processed later do not
    // set them, so the keepalive is not held off. One byte keeps the handler at 128 bytes.
    private byte readFlags;
    private Session session;
    // Null when the CONNECT had no will, or once DISCONNECT discarded it.
    private Will will;
    private OutboundWriter outbound;
    private EnhancedAuthentication authentication;
    private AckSequencer acks;
    private PublishRateLimit publishRateLimit;
    private ClientInfo client;
    private boolean connAckSent;
    private boolean hookPending;
    private DisconnectEvent.Cause closeCause = DisconnectEvent.Cause.CONNECTION_LOST;
    private String[] inboundTopicAliases;
    // The protocol level of the CONNECT (3, 4 or 5 for MQTT 3.1, 3.1.1 or 5.0), or 0 before CONNECT.
    private int protocolLevel;
    private boolean mqtt5;
    private boolean requestProblemInformation = true;
    private boolean serverClosing;

    /** Creates the handler of one new connection. */
    public MqttConnectionHandler(ProtocolContext context) {
        this.context = context;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        int rate = context.config().maxPublishRate();
        this.publishRateLimit = rate > 0 ? new PublishRateLimit(rate, System.nanoTime()) : null;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        connectDeadlineNanos = System.nanoTime()
                + TimeUnit.MILLISECONDS.toNanos(context.config().connectTimeoutMillis());
        sweep = ConnectionSweep.of(ctx.executor());
        sweep.add(this);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf received)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (state == State.CLOSED || discardInput) {
            received.release();
            return;
        }
        ByteBuf input = partialPacket == null ? received
                : PacketDecoder.append(ctx.alloc(), partialPacket, received);
        partialPacket = null;
        try {
            decode(input);
        } finally {
            if (input.isReadable() && state != State.CLOSED && !discardInput) {
                partialPacket = input;
            } else {
                input.release();
            }
        }
    }

    private void decode(ByteBuf input) {
        int maxPacketSize = context.config().maxPacketSizeBytes();
        while (state != State.CLOSED && !discardInput) {
            if (readPubAck(input, maxPacketSize)) {
                continue;
            }
            if (publish == null && PacketDecoder.startsPublish(input)) {
                publish = new PublishPacket();
            }
            Object packet = PacketDecoder.decode(input, maxPacketSize, protocolLevel, publish);
            if (packet == null) {
                return;
            }
            if (packet instanceof MqttMessage message && message.decoderResult().isFailure()) {
                discardInput = true;
            }
            readFlags |= packet instanceof PublishPacket ? READ_PACKET | READ_PUBLISH : READ_PACKET;
            onPacket(packet);
        }
    }

    /**
     * Handles the PUBACK at the reader index of {@code input} without a packet object when it carries
     * only its packet identifier and nothing waits before it, and returns true. Otherwise returns false
     * and reads nothing, leaving the packet to the decoder.
     */
    private boolean readPubAck(ByteBuf input, int maxPacketSize) {
        if (state != State.CONNECTED || hookPending || (held != null && !held.isEmpty())) {
            return false;
        }
        int packetId = PacketDecoder.readShortPubAck(input, maxPacketSize);
        if (packetId == 0) {
            return false;
        }
        readFlags |= READ_PACKET;
        session.onPubAck(packetId);
        return true;
    }

    /**
     * Processes one decoded packet, an {@link MqttMessage}, a {@link PublishPacket} or a
     * {@link DecodedConnect}, or queues it while the connection waits. Releases it when done.
     */
    private void onPacket(Object packet) {
        if (state == State.CONNECTING || state == State.ADMITTING || hookPending) {
            // Clients may send packets right after CONNECT or PUBLISH; keep them until the wait ends.
            if (held == null) {
                held = new ArrayDeque<>(4);
            }
            if (packet == publish) {
                // The connection's own PublishPacket is refilled by the next PUBLISH, so a copy waits.
                held.addLast(publish.hold());
                publish.release();
            } else {
                held.addLast(packet);
            }
            return;
        }
        try {
            if (state != State.CLOSED) {
                process(packet);
            }
        } finally {
            release(packet);
        }
    }

    private static void release(Object packet) {
        if (packet instanceof PublishPacket publishPacket) {
            publishPacket.release();
        } else {
            ReferenceCountUtil.release(packet);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        byte read = readFlags;
        readFlags = 0;
        if (read != 0) {
            // One clock read per socket read, not per packet, is enough for a deadline in seconds.
            lastPacketNanos = System.nanoTime();
        }
        if ((read & READ_PUBLISH) != 0) {
            DeferredDrains.flushAfterHandOver(ctx);
        } else {
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    private void process(Object packet) {
        MqttMessage message = packet instanceof MqttMessage decoded ? decoded : null;
        DecoderResult result = message == null ? null : message.decoderResult();
        if (result != null && result.isFailure()) {
            DecoderFailures.handle(this, message, state == State.AWAITING_CONNECT);
            return;
        }
        MqttMessageType type;
        if (message != null) {
            type = message.fixedHeader().messageType();
        } else {
            type = packet instanceof DecodedConnect ? MqttMessageType.CONNECT : MqttMessageType.PUBLISH;
        }
        if (state == State.AWAITING_CONNECT) {
            if (type == MqttMessageType.CONNECT) {
                onConnect((DecodedConnect) packet);
            } else {
                // [MQTT-3.1.0-1]: CONNECT must be the first packet.
                reject(ProtocolViolation.PROTOCOL_ERROR, type + " before CONNECT");
            }
            return;
        }
        if (state == State.AUTHENTICATING) {
            if (type == MqttMessageType.AUTH) {
                authentication.onAuth(message, false);
            } else {
                // [MQTT-4.12.0-4]: only AUTH packets may precede CONNACK during enhanced authentication.
                reject(ProtocolViolation.PROTOCOL_ERROR, type + " during enhanced authentication");
            }
            return;
        }
        switch (type) {
            case PUBLISH -> InboundPublishing.onPublish(this, (PublishPacket) packet);
            case PUBACK -> session.onPubAck(packetId(message));
            case PUBREC -> onPubRec(packetId(message));
            case PUBREL -> onPubRel(packetId(message));
            case PUBCOMP -> session.onPubComp(packetId(message));
            case SUBSCRIBE -> SubscriptionHandling.onSubscribe(this, (MqttSubscribeMessage) message);
            case UNSUBSCRIBE -> SubscriptionHandling.onUnsubscribe(this, (MqttUnsubscribeMessage) message);
            case PINGREQ -> PacketWriter.write(ctx, Packets.pingResp());
            case DISCONNECT -> onDisconnect(message);
            case AUTH -> {
                if (authentication == null) {
                    reject(ProtocolViolation.PROTOCOL_ERROR, "AUTH from a client that did not use enhanced authentication");
                } else {
                    authentication.onAuth(message, true);
                }
            }
            // [MQTT-3.1.0-2]: a second CONNECT is a protocol violation.
            case CONNECT -> reject(ProtocolViolation.PROTOCOL_ERROR, "second CONNECT on one connection");
            default -> reject(ProtocolViolation.PROTOCOL_ERROR, "unexpected " + type + " from a client");
        }
    }

    private static int packetId(MqttMessage message) {
        return ((MqttMessageIdVariableHeader) message.variableHeader()).messageId();
    }

    private void onConnect(DecodedConnect connect) {
        ConnectRequest checked = ConnectRequest.check(connect, context.config());
        protocolLevel(checked.protocolLevel());
        if (checked.violation() != null) {
            rejectConnect(checked, connect.clientId());
            return;
        }
        request = checked;
        clientId = checked.clientId();
        requestProblemInformation = checked.requestProblemInformation();
        will = checked.will() == null ? null : new Will(checked.will(), checked.willDelaySeconds(connect));
        ClientLimits limits = checked.clientLimits();
        outbound = OutboundWriter.of(mqtt5, limits.maxPacketSize(),
                context.config().outboundTopicAliases() ? limits.topicAliasMaximum() : 0);
        if (mqtt5 && context.config().topicAliasMaximum() > 0) {
            inboundTopicAliases = new String[context.config().topicAliasMaximum() + 1];
        }

        client = ConnectAdmission.clientInfo(ctx, checked, connect.userName());
        String method = checked.authenticationMethod();
        if (method == null) {
            if (ConnectAdmission.noConnectHooks(context.hooks())) {
                beginSession();
                return;
            }
            state = State.ADMITTING;
            ctx.channel().config().setAutoRead(false);
            admission().authenticate(connect, client);
            return;
        }
        EnhancedAuthenticator authenticator = context.authenticators().get(method);
        if (authenticator == null) {
            rejectConnect(ConnectRequest.rejected(ProtocolViolation.BAD_AUTHENTICATION_METHOD, 0,
                    "authentication method '" + method + "' is not supported", checked.protocolLevel()));
            return;
        }
        state = State.AUTHENTICATING;
        authentication = new EnhancedAuthentication(this, authenticator);
        authentication.begin(checked.clientId(), checked.authenticationData(), false);
    }

    /** Sets the protocol version in which packets are decoded from and encoded for this connection. */
    private void protocolLevel(int level) {
        protocolLevel = level;
        mqtt5 = level == ConnectDecoder.MQTT_5;
        if (mqtt5) {
            PacketWriter.useMqtt5(ctx.channel());
        }
    }

    private ConnectAdmission admission() {
        if (admission == null) {
            admission = new ConnectAdmission(this, context.hooks());
        }
        return admission;
    }

    /** Continues a CONNECT after a successful enhanced authentication with the connect interceptors. */
    void authenticated() {
        state = State.ADMITTING;
        ctx.channel().config().setAutoRead(false);
        admission().intercept(client);
    }

    /** Continues a CONNECT that the authenticators and connect interceptors accepted. */
    void admitted(ClientInfo admittedClient) {
        client = admittedClient;
        beginSession();
    }

    /** Marks the connection as closing after a hook rejected its CONNECT. */
    void closing() {
        state = State.CLOSED;
    }

    /** Rejects a CONNECT whose enhanced authentication failed (CONNACK 0x87, not authorized). */
    void rejectAuthentication(String reason) {
        // Enhanced authentication exists only in MQTT 5.0.
        rejectConnect(ConnectRequest.rejected(ProtocolViolation.NOT_AUTHORIZED, 0, reason, ConnectDecoder.MQTT_5));
    }

    @Override
    public boolean isOpen() {
        return state != State.CLOSED;
    }

    private void beginSession() {
        ConnectRequest checked = request;
        int inflightLimit = Math.min(context.config().maxInflightMessages(), checked.clientLimits().receiveMaximum());
        state = State.CONNECTING;
        // The CONNECT is accepted, so the connect timeout no longer applies.
        sweep.remove(this);
        ctx.channel().config().setAutoRead(false);
        ConnectOutcome attached = context.registry().connectUnlessAttached(checked.clientId(), checked.cleanStart(),
                checked.sessionExpirySeconds(), inflightLimit, this);
        if (attached != null) {
            onSessionAttached(attached, null);
            return;
        }
        context.registry()
                .connect(checked.clientId(), checked.cleanStart(), checked.sessionExpirySeconds(), inflightLimit, this)
                .whenComplete((outcome, error) -> {
                    if (ctx.executor().inEventLoop()) {
                        onSessionAttached(outcome, error);
                    } else {
                        ctx.executor().execute(() -> onSessionAttached(outcome, error));
                    }
                });
    }

    private void onSessionAttached(ConnectOutcome outcome, Throwable error) {
        if (error != null) {
            LOG.warn("Connecting client {} failed", LogText.printable(clientId), error);
            state = State.CLOSED;
            ctx.close();
            releaseHeld();
            return;
        }
        session = outcome.session();

        if (!ctx.channel().isActive()) {
            // The client went away while its session was being taken over from another connection.
            state = State.CLOSED;
            releaseHeld();
            context.registry().disconnected(session, this, null, 0);
            markDetached();
            return;
        }
        // MQTT 3.1 has no session present flag: the first byte of its CONNACK variable header is reserved and 0.
        boolean sessionPresentFlag = outcome.sessionPresent() && protocolLevel != ConnectDecoder.MQTT_3_1;
        if (mqtt5) {
            PacketWriter.write(ctx, Packets.connAck(MqttConnectReturnCode.CONNECTION_ACCEPTED, sessionPresentFlag,
                    connAckProperties()));
        } else {
            ctx.write(Mqtt3PacketEncoder.connAck(ctx.alloc(), sessionPresentFlag,
                    MqttConnectReturnCode.CONNECTION_ACCEPTED.byteValue()), ctx.voidPromise());
        }
        state = State.CONNECTED;
        connAckSent = true;
        context.connected().add(ctx.channel());
        ConnectAdmission.connAckSent(context.hooks(), client, 0, outcome.sessionPresent());
        admission = null;

        keepAliveSeconds = request.keepAliveSeconds();
        if (keepAliveSeconds > 0) {
            lastPacketNanos = System.nanoTime();
            sweep.add(this);
        }

        if (LOG.isDebugEnabled()) {
            // Guarded because the four arguments would be boxed into an array on every CONNECT.
            LOG.debug("Client {} connected from {} with MQTT level {}, session present {}",
                    clientId, ctx.channel().remoteAddress(), request.protocolLevel(), outcome.sessionPresent());
        }
        request = null;
        session.resumeDelivery();
        resumeReading();
    }

    /**
     * Holds the packets that arrive from now on until {@link #resumeReading()}, while an
     * asynchronous hook decides about the current one.
     */
    void pauseReading() {
        hookPending = true;
        ctx.channel().config().setAutoRead(false);
    }

    /**
     * Marks the pending hook as done without processing the held packets yet, so that the code
     * that continues after the hook may pause reading again.
     */
    void endPause() {
        hookPending = false;
    }

    /** Returns true while packets are held until {@link #resumeReading()}. */
    boolean readingPaused() {
        return hookPending;
    }

    /**
     * Processes the held packets in arrival order, stopping early if one of them pauses reading
     * again, then reads from the socket again.
     */
    void resumeReading() {
        hookPending = false;
        while (held != null && !held.isEmpty() && state == State.CONNECTED && !hookPending) {
            onPacket(held.pollFirst());
        }
        if (state != State.CONNECTED || (held != null && held.isEmpty())) {
            releaseHeld();
        }
        ctx.flush();
        if (!hookPending) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private MqttProperties connAckProperties() {
        if (!mqtt5) {
            return MqttProperties.NO_PROPERTIES;
        }
        MqttProperties properties = ConnAckProperties.of(request, context.config());
        if (authentication != null) {
            for (MqttProperties.MqttProperty<?> property : authentication.takeConnAckProperties().listAll()) {
                properties.add(property);
            }
        }
        return properties;
    }

    private void releaseHeld() {
        if (held == null) {
            return;
        }
        Object packet;
        while ((packet = held.pollFirst()) != null) {
            release(packet);
        }
        held = null;
    }

    private void onPubRec(int packetId) {
        boolean known = session.onPubRec(packetId);
        PacketWriter.write(ctx, Packets.pubRel(packetId, known ? Packets.SUCCESS : Packets.PACKET_ID_NOT_FOUND));
    }

    private void onPubRel(int packetId) {
        boolean known = session.completeInboundQos2(packetId);
        PacketWriter.write(ctx, Packets.pubComp(packetId, known ? Packets.SUCCESS : Packets.PACKET_ID_NOT_FOUND));
    }

    private void onDisconnect(MqttMessage message) {
        int reason = 0;
        if (mqtt5 && message.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader header) {
            reason = header.reasonCode() & 0xFF;
            MqttProperties.MqttProperty<?> expiry = header.properties().getProperty(
                    MqttProperties.SESSION_EXPIRY_INTERVAL);
            if (expiry != null) {
                long seconds = Integer.toUnsignedLong((Integer) expiry.value());
                // The session's interval is still the one of CONNECT, which only DISCONNECT changes.
                if (session.expiryIntervalSeconds() == 0 && seconds != 0) {
                    // [MQTT-3.14.2-2]: an expiry of 0 set on CONNECT cannot be raised on DISCONNECT.
                    reject(ProtocolViolation.PROTOCOL_ERROR,
                            "session expiry interval raised from 0 on DISCONNECT");
                    return;
                }
                session.expiryIntervalSeconds(seconds);
            }
        }
        // [MQTT-3.1.2-10]: a normal DISCONNECT discards the will; MQTT 5.0 reason 0x04 keeps it.
        if (reason != 0x04) {
            will = null;
        }
        closeCause = DisconnectEvent.Cause.CLIENT_DISCONNECT;
        state = State.CLOSED;
        ctx.close();
    }

    /**
     * Closes the connection if its deadline has passed: the connect timeout before CONNECT is
     * accepted, the keepalive afterwards. Called by the {@link ConnectionSweep} of this connection's
     * event loop.
     */
    void checkDeadline(long nowNanos) {
        if (state == State.CONNECTED) {
            checkKeepAlive(nowNanos);
        } else {
            checkConnectTimeout(nowNanos);
        }
    }

    /**
     * Closes the connection if its CONNECT, including an enhanced authentication exchange, is not
     * complete at the connect deadline. A connection past the deadline whose hooks are still running
     * (state ADMITTING) stays open, and a closed one only leaves the sweep.
     */
    private void checkConnectTimeout(long nowNanos) {
        if (nowNanos - connectDeadlineNanos < 0) {
            return;
        }
        sweep.remove(this);
        if (state == State.AWAITING_CONNECT || state == State.AUTHENTICATING) {
            reject(ProtocolViolation.CONNECT_TIMEOUT, "no completed CONNECT within "
                    + context.config().connectTimeoutMillis() + " ms");
        }
    }

    /** Closes the connection if no packet arrived within one and a half keepalive periods [MQTT-3.1.2-24]. */
    private void checkKeepAlive(long nowNanos) {
        long timeoutNanos = keepAliveSeconds * 1_500_000_000L;
        if (nowNanos - lastPacketNanos < timeoutNanos || readFlags != 0) {
            return;
        }
        sweep.remove(this);
        reject(ProtocolViolation.KEEPALIVE_TIMEOUT, "no packet within 1.5 times the keepalive of "
                + keepAliveSeconds + " s");
    }

    int sweepSlot() {
        return sweepSlot;
    }

    void sweepSlot(int slot) {
        sweepSlot = slot;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && session != null && state == State.CONNECTED) {
            session.drain();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releasePartialPacket();
    }

    private void releasePartialPacket() {
        if (partialPacket != null) {
            partialPacket.release();
            partialPacket = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("Connection of client {} from {} failed: {}", LogText.printable(clientIdForLog()),
                ctx.channel().remoteAddress(), LogText.printable(cause.toString()));
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        State previous = state;
        state = State.CLOSED;
        if (sweep != null) {
            sweep.remove(this);
        }
        releaseHeld();
        releasePartialPacket();
        if (session != null) {
            Will pendingWill = serverClosing ? null : will;
            will = null;
            if (pendingWill == null) {
                context.registry().disconnected(session, this, null, 0);
            } else {
                context.registry().disconnected(session, this, pendingWill.message(), pendingWill.delaySeconds());
            }
            LOG.debug("Client {} disconnected", clientId);
        }
        if (connAckSent) {
            ConnectAdmission.disconnected(context.hooks(), client, closeCause);
        }
        if (previous != State.CONNECTING) {
            markDetached();
        }
        ctx.fireChannelInactive();
    }

    /**
     * Closes the connection for a protocol violation. This is the single exit for all of them: it
     * counts the violation, logs it with the client and address (at INFO, one line per violation
     * kind every 10 seconds, or every one at DEBUG when that level is on), and sends DISCONNECT with
     * the reason code to an MQTT 5.0 client that completed CONNECT before closing.
     */
    void reject(ProtocolViolation violation, String detail) {
        if (state == State.CLOSED) {
            return;
        }
        context.metrics().protocolViolation(violation);
        if (LOG.isDebugEnabled()) {
            LOG.debug("Closing connection of client {} from {}: {} ({})", LogText.printable(clientIdForLog()),
                    ctx.channel().remoteAddress(), violation.tag(), LogText.printable(detail));
        } else {
            context.violationLog().closed(violation).info("Closing connection of client {} from {}: {} ({})",
                    clientIdForLog(), ctx.channel().remoteAddress(), violation.tag(), detail);
        }
        boolean sendDisconnect = mqtt5 && state == State.CONNECTED;
        closeCause = DisconnectEvent.Cause.PROTOCOL_ERROR;
        state = State.CLOSED;
        if (sendDisconnect) {
            PacketWriter.writeAndFlush(ctx, Packets.disconnect((byte) violation.reasonCode(),
                            problemInformation(detail, 2)))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.flush();
            ctx.close();
        }
    }

    /** Rejects a CONNECT with the CONNACK code of its protocol version, then closes the connection. */
    void rejectConnect(ConnectRequest rejected) {
        rejectConnect(rejected, null);
    }

    /**
     * Rejects a CONNECT like {@link #rejectConnect(ConnectRequest)}; {@code requestedClientId} is the
     * identifier the CONNECT carried, for the log line, or null or empty if unknown.
     */
    void rejectConnect(ConnectRequest rejected, String requestedClientId) {
        ProtocolViolation violation = rejected.violation();
        context.metrics().protocolViolation(violation);
        String client = clientId;
        if (client == null) {
            boolean requested = requestedClientId != null && !requestedClientId.isEmpty();
            client = requested ? requestedClientId : "(unknown)";
        }
        context.violationLog().rejected(violation).warn("Rejected connection of client {} from {}: {} ({})", client,
                ctx.channel().remoteAddress(), violation.tag(), rejected.problem());
        state = State.CLOSED;
        protocolLevel(rejected.protocolLevel());
        MqttConnectReturnCode code = null;
        if (rejected.mqtt5()) {
            code = MqttConnectReturnCode.valueOf((byte) violation.reasonCode());
        } else if (rejected.v3ReturnCode() != 0) {
            code = MqttConnectReturnCode.valueOf((byte) rejected.v3ReturnCode());
        }
        if (code == null) {
            ctx.flush();
            ctx.close();
            return;
        }
        MqttProperties properties = rejected.mqtt5() ? Packets.reasonString(rejected.problem())
                : MqttProperties.NO_PROPERTIES;
        PacketWriter.writeAndFlush(ctx, Packets.connAck(code, false, properties))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /** Closes the connection because the broker is stopping (MQTT 5.0: DISCONNECT 0x8B). Any thread. */
    public void shutDown() {
        ctx.executor().execute(() -> {
            serverClosing = true;
            closeCause = DisconnectEvent.Cause.SERVER_SHUTDOWN;
            closeWith(Packets.SERVER_SHUTTING_DOWN);
        });
    }

    @Override
    public CompletableFuture<Void> takeOver() {
        ctx.executor().execute(() -> {
            closeCause = DisconnectEvent.Cause.SESSION_TAKEN_OVER;
            closeWith(Packets.SESSION_TAKEN_OVER);
        });
        return detachedFuture();
    }

    /** Returns the future that completes when this connection no longer uses its session. Any thread. */
    private CompletableFuture<Void> detachedFuture() {
        CompletableFuture<Void> future = detached;
        if (future == null) {
            DETACHED_UPDATER.compareAndSet(this, null, new CompletableFuture<Void>());
            future = detached;
        }
        return future;
    }

    private void markDetached() {
        if (!DETACHED_UPDATER.compareAndSet(this, null, DETACHED)) {
            detached.complete(null);
        }
    }

    private void closeWith(byte reasonCode) {
        if (state != State.CONNECTED) {
            ctx.close();
            return;
        }
        state = State.CLOSED;
        if (mqtt5) {
            PacketWriter.writeAndFlush(ctx, Packets.disconnect(reasonCode, MqttProperties.NO_PROPERTIES))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.flush();
            ctx.close();
        }
    }

    // SessionConnection, called on this connection's event loop.

    @Override
    public EventExecutor executor() {
        return ctx.executor();
    }

    @Override
    public ClientInfo clientInfo() {
        return client;
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }

    @Override
    public boolean fits(EncodedPublish publish, Delivery delivery) {
        return outbound.fits(publish, delivery);
    }

    @Override
    public void writePublish(EncodedPublish publish, Delivery delivery, int packetId, boolean dup) {
        outbound.write(ctx, publish, delivery, packetId, dup);
    }

    @Override
    public void writePubRel(int packetId) {
        PacketWriter.write(ctx, Packets.pubRel(packetId, Packets.SUCCESS));
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    // Accessors for the per-packet handlers of this package.

    ChannelHandlerContext channelContext() {
        return ctx;
    }

    ProtocolContext context() {
        return context;
    }

    /** Returns the PUBLISH rate limit of this connection, or null when there is none. */
    PublishRateLimit publishRateLimit() {
        return publishRateLimit;
    }

    /**
     * Returns the sequencer that keeps PUBACK and PUBREC in PUBLISH order, created with the first
     * acknowledgement, so that connections that only subscribe never allocate it.
     */
    AckSequencer acks() {
        if (acks == null) {
            acks = new AckSequencer(ctx, this);
        }
        return acks;
    }

    Session session() {
        return session;
    }

    boolean mqtt5() {
        return mqtt5;
    }

    /**
     * Returns a Reason String property for an MQTT 5.0 acknowledgement or DISCONNECT, or no properties
     * when the client set Request Problem Information to 0 or the string would push the packet past
     * the client's Maximum Packet Size [MQTT-3.1.2-25].
     *
     * @param packetBytes the size of the packet without the property, fixed header excluded
     */
    MqttProperties problemInformation(String reason, int packetBytes) {
        if (!mqtt5 || reason == null || !requestProblemInformation) {
            return MqttProperties.NO_PROPERTIES;
        }
        long withReason = 1L + 4 + packetBytes + 4 + 3 + ByteBufUtil.utf8Bytes(reason);
        long maxPacketSize = outbound != null ? outbound.maxPacketSize() : Long.MAX_VALUE;
        if (withReason > maxPacketSize) {
            return MqttProperties.NO_PROPERTIES;
        }
        return Packets.reasonString(reason);
    }

    String clientId() {
        return clientId;
    }

    /** Returns the accepted CONNECT until CONNACK is written, null afterwards. */
    ConnectRequest request() {
        return request;
    }

    /** Returns the inbound topic alias table, indexed by alias; null when aliases are disabled. */
    String[] inboundTopicAliases() {
        return inboundTopicAliases;
    }

    /**
     * Returns the client identifier, or a placeholder before CONNECT. It is not escaped here, because
     * {@link RateLimitedLogger} escapes its arguments.
     */
    private String clientIdForLog() {
        return clientId == null ? "(before CONNECT)" : clientId;
    }
}
