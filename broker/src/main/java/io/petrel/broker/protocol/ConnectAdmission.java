package io.petrel.broker.protocol;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.ssl.SslHandler;
import io.petrel.api.hook.AuthenticationRequest;
import io.petrel.api.hook.AuthenticationResult;
import io.petrel.api.hook.ClientInfo;
import io.petrel.api.hook.ConnAckEvent;
import io.petrel.api.hook.ConnectEvent;
import io.petrel.api.hook.DisconnectEvent;
import io.petrel.api.hook.InterceptResult;
import io.petrel.api.hook.ProtocolVersion;
import io.petrel.api.hook.ReasonCode;
import io.petrel.broker.hooks.BrokerHooks;
import io.petrel.broker.observability.RateLimitedLogger;

import javax.net.ssl.SSLPeerUnverifiedException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The hook steps of one connection's CONNECT: the authenticators, then the connect interceptors,
 * then the CONNACK and disconnect notifications.
 *
 * <p>Threads: used on the connection's event loop. Hook stages may complete on any thread; their
 * results are handed back to the event loop. The handler queues the client's other packets while
 * these steps run.
 */
final class ConnectAdmission {

    private final MqttConnectionHandler connection;
    private final BrokerHooks hooks;

    ConnectAdmission(MqttConnectionHandler connection, BrokerHooks hooks) {
        this.connection = connection;
        this.hooks = hooks;
    }

    /** Returns the client of an accepted CONNECT, before authentication adds its attributes. */
    static ClientInfo clientInfo(ChannelHandlerContext ctx, ConnectRequest request, String username) {
        return ClientInfo.builder(request.clientId())
                .username(username)
                .remoteAddress(ctx.channel().remoteAddress())
                .protocolVersion(ProtocolVersion.ofLevel(request.protocolLevel()))
                .certificates(peerCertificates(ctx))
                .build();
    }

    /** Returns true if no authenticator and no connect interceptor is installed in {@code hooks}. */
    static boolean noConnectHooks(BrokerHooks hooks) {
        return hooks.authenticators().isEmpty() && hooks.interceptors().connectEmpty();
    }

    /**
     * Runs the authenticators on a CONNECT without an authentication method, then the connect
     * interceptors, and hands the client to {@link MqttConnectionHandler#admitted} or rejects it.
     */
    void authenticate(DecodedConnect connect, ClientInfo client) {
        if (hooks.authenticators().isEmpty()) {
            intercept(client);
            return;
        }
        AuthenticationRequest request = new AuthenticationRequest(client.clientId(), connect.userName(),
                connect.password(), client.certificates(), client.remoteAddress().orElse(null),
                client.protocolVersion());
        HookResults.onEventLoop(connection, hooks.authenticators().authenticate(request), result -> {
            if (result.outcome() == AuthenticationResult.Outcome.SUCCESS) {
                intercept(result.attributes().isEmpty() ? client
                        : client.toBuilder().attributes(result.attributes()).build());
            } else {
                reject(client, result.reasonCode(), result.reason());
            }
        });
    }

    /** Runs the connect interceptors for an authenticated client. */
    void intercept(ClientInfo client) {
        if (hooks.interceptors().connectEmpty()) {
            connection.admitted(client);
            return;
        }
        ConnectRequest request = connection.request();
        ConnectEvent event = new ConnectEvent(client, request.cleanStart(), request.keepAliveSeconds(),
                request.sessionExpirySeconds(), Optional.ofNullable(request.will()));
        HookResults.onEventLoop(connection, hooks.interceptors().onConnect(event), (InterceptResult<ConnectEvent> result) -> {
            if (result.isRejected()) {
                reject(client, result.reasonCode(), result.reason());
            } else {
                connection.admitted(client);
            }
        });
    }

    /** Notifies the interceptors that CONNACK was sent. */
    static void connAckSent(BrokerHooks hooks, ClientInfo client, int reasonCode, boolean sessionPresent) {
        if (!hooks.interceptors().connAckEmpty()) {
            hooks.interceptors().onConnAck(new ConnAckEvent(client, reasonCode, sessionPresent));
        }
    }

    /** Drops the client's cached authorizations and notifies the interceptors that its connection closed. */
    static void disconnected(BrokerHooks hooks, ClientInfo client, DisconnectEvent.Cause cause) {
        hooks.authorizations().forget(client);
        if (!hooks.interceptors().disconnectEmpty()) {
            hooks.interceptors().onDisconnect(new DisconnectEvent(client, cause));
        }
    }

    /**
     * Sends CONNACK with the hook's reason code (in MQTT 3.1.1 the closest return code) and closes
     * the connection.
     */
    private void reject(ClientInfo client, ReasonCode code, String reason) {
        if (!code.allowedInConnAck()) {
            code = ReasonCode.UNSPECIFIED_ERROR;
        }
        ChannelHandlerContext ctx = connection.channelContext();
        RateLimitedLogger log = connection.context().violationLog().rejectedByHook();
        log.warn("Rejected connection of client {} from {}: {} ({})", client.clientId(), ctx.channel().remoteAddress(),
                code, reason);
        connection.closing();
        boolean mqtt5 = connection.mqtt5();
        int wireCode = mqtt5 ? code.value() : code.connectReturnCodeV3();
        MqttProperties properties = mqtt5 ? Packets.reasonString(reason) : MqttProperties.NO_PROPERTIES;
        MqttConnectReturnCode returnCode = MqttConnectReturnCode.valueOf((byte) wireCode);
        PacketWriter.writeAndFlush(ctx, Packets.connAck(returnCode, false, properties))
                .addListener(ChannelFutureListener.CLOSE);
        connAckSent(hooks, client, code.value(), false);
    }

    // NOTE: no listener adds an SslHandler yet, so this path has not run against a TLS connection.
    private static List<X509Certificate> peerCertificates(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return List.of();
        }
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : ssl.engine().getSession().getPeerCertificates()) {
                if (certificate instanceof X509Certificate x509) {
                    chain.add(x509);
                }
            }
            return chain;
        } catch (SSLPeerUnverifiedException e) {
            // The client sent no certificate, which a listener without client authentication allows.
            return List.of();
        }
    }
}
