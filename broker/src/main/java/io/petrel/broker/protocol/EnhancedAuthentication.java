package io.petrel.broker.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.petrel.api.hook.AuthExchange;
import io.petrel.api.hook.AuthRequest;
import io.petrel.api.hook.AuthStep;
import io.petrel.api.hook.EnhancedAuthenticator;
import io.petrel.broker.observability.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The MQTT 5.0 enhanced authentication of one connection: the exchange started by CONNECT, and the
 * re-authentications a connected client starts with AUTH reason 0x19.
 *
 * <p>Threads: used on the connection's event loop. The authenticator's stages may complete on any
 * thread; their results are handed back to the event loop. An authenticator that throws or does not
 * complete within the connect timeout fails the exchange.
 */
final class EnhancedAuthentication {

    /** AUTH reason code: success (after a re-authentication). */
    static final byte SUCCESS = 0x00;
    /** AUTH reason code: continue authentication. */
    static final byte CONTINUE_AUTHENTICATION = 0x18;
    /** AUTH reason code: re-authenticate. */
    static final byte REAUTHENTICATE = 0x19;

    private static final Logger LOG = LoggerFactory.getLogger(EnhancedAuthentication.class);

    private final MqttConnectionHandler connection;
    private final EnhancedAuthenticator authenticator;
    private final String method;
    private AuthExchange exchange;
    private boolean reauthentication;
    private boolean stepPending;
    // The CONNACK properties from the last step of the CONNECT exchange, empty once taken.
    private MqttProperties connAckProperties = MqttProperties.NO_PROPERTIES;

    EnhancedAuthentication(MqttConnectionHandler connection, EnhancedAuthenticator authenticator) {
        this.connection = connection;
        this.authenticator = authenticator;
        this.method = authenticator.method();
    }

    /** Starts the exchange of a CONNECT or of a re-authentication. */
    void begin(String clientId, byte[] clientData, boolean reauthenticate) {
        ChannelHandlerContext ctx = connection.channelContext();
        reauthentication = reauthenticate;
        try {
            exchange = authenticator.start(new AuthRequest(clientId, method, ctx.channel().remoteAddress(),
                    reauthenticate));
        } catch (RuntimeException e) {
            fail("authenticator failed to start: " + e, e);
            return;
        }
        step(clientData);
    }

    /**
     * Returns the properties that CONNACK carries after a successful exchange started by CONNECT
     * (authentication method and server data), and clears them.
     */
    MqttProperties takeConnAckProperties() {
        MqttProperties properties = connAckProperties;
        connAckProperties = MqttProperties.NO_PROPERTIES;
        return properties;
    }

    /** Handles an AUTH packet from the client. */
    void onAuth(MqttMessage auth, boolean connected) {
        MqttReasonCodeAndPropertiesVariableHeader header =
                (MqttReasonCodeAndPropertiesVariableHeader) auth.variableHeader();
        int reason = header.reasonCode() & 0xFF;
        MqttProperties properties = header.properties();
        MqttProperties.MqttProperty<?> methodProperty = properties.getProperty(MqttProperties.AUTHENTICATION_METHOD);
        if (methodProperty == null || !method.equals(methodProperty.value())) {
            // [MQTT-4.12.0-5]: every AUTH uses the method of the CONNECT.
            connection.reject(ProtocolViolation.PROTOCOL_ERROR, "AUTH with another authentication method than CONNECT");
            return;
        }
        MqttProperties.MqttProperty<?> dataProperty = properties.getProperty(MqttProperties.AUTHENTICATION_DATA);
        byte[] data = dataProperty == null ? new byte[0] : (byte[]) dataProperty.value();
        if (reason == REAUTHENTICATE && connected && exchange == null) {
            begin(connection.clientId(), data, true);
        } else if (reason == CONTINUE_AUTHENTICATION && exchange != null && !stepPending) {
            step(data);
        } else {
            connection.reject(ProtocolViolation.PROTOCOL_ERROR, "unexpected AUTH with reason 0x"
                    + Integer.toHexString(reason));
        }
    }

    private void step(byte[] clientData) {
        stepPending = true;
        CompletionStage<AuthStep> stage;
        try {
            stage = exchange.onData(clientData.clone());
        } catch (RuntimeException e) {
            stepPending = false;
            fail("authenticator failed: " + e, e);
            return;
        }
        ChannelHandlerContext ctx = connection.channelContext();
        long timeoutMillis = connection.context().config().connectTimeoutMillis();
        CompletableFuture.completedFuture(null)
                .thenCompose(ignored -> stage)
                .toCompletableFuture()
                .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .whenComplete((result, error) -> ctx.executor().execute(() -> onStep(result, error)));
    }

    private void onStep(AuthStep result, Throwable error) {
        stepPending = false;
        if (!connection.isOpen()) {
            return;
        }
        if (error != null) {
            fail("authenticator failed or timed out: " + error, error);
            return;
        }
        if (result == null) {
            fail("authenticator returned no step", null);
            return;
        }
        switch (result.outcome()) {
            case CONTINUE -> {
                ChannelHandlerContext ctx = connection.channelContext();
                PacketWriter.writeAndFlushVoid(ctx,
                        Packets.auth(CONTINUE_AUTHENTICATION, authProperties(result.serverData())));
            }
            case SUCCESS -> {
                exchange = null;
                if (reauthentication) {
                    ChannelHandlerContext ctx = connection.channelContext();
                    PacketWriter.writeAndFlushVoid(ctx, Packets.auth(SUCCESS, authProperties(result.serverData())));
                    LOG.debug("Client {} re-authenticated with {}", connection.clientId(), method);
                } else {
                    connAckProperties = authProperties(result.serverData());
                    connection.authenticated();
                }
            }
            default -> fail(result.reason(), null);
        }
    }

    private void fail(String reason, Throwable error) {
        exchange = null;
        if (error != null) {
            LOG.warn("Enhanced authentication of client {} with {} failed", LogText.printable(connection.clientId()),
                    LogText.printable(method), error);
        }
        if (reauthentication) {
            connection.reject(ProtocolViolation.NOT_AUTHORIZED, "re-authentication failed: " + reason);
        } else {
            connection.rejectAuthentication(reason);
        }
    }

    /** Returns the Authentication Method and, when present, Authentication Data properties. */
    MqttProperties authProperties(byte[] serverData) {
        MqttProperties properties = new MqttProperties();
        properties.add(new MqttProperties.StringProperty(MqttProperties.AUTHENTICATION_METHOD, method));
        if (serverData.length > 0) {
            properties.add(new MqttProperties.BinaryProperty(MqttProperties.AUTHENTICATION_DATA,
                    Arrays.copyOf(serverData, serverData.length)));
        }
        return properties;
    }
}
