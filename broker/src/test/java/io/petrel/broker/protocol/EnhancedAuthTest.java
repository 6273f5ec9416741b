package io.petrel.broker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttUtf8String;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientConfig;
import com.hivemq.client.mqtt.mqtt5.auth.Mqtt5EnhancedAuthMechanism;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5Auth;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5AuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5EnhancedAuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5Connect;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5Disconnect;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * MQTT 5.0 enhanced authentication on a broker without an enhanced authentication method: a CONNECT
 * that names a method is rejected with CONNACK 0x8C, and an AUTH packet from a client that
 * connected without a method is a protocol error.
 */
class EnhancedAuthTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    @Test
    void connectWithAuthenticationMethodGetsConnack0x8C() {
        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(Mqtt5Packets.connect(BROKER.clientId("scram"))
                    .properties(Mqtt5Properties.create().authenticationMethod("SCRAM-SHA-256")
                            .binaryProperty(Mqtt5Properties.AUTHENTICATION_DATA, "client-first".getBytes(StandardCharsets.UTF_8)))
                    .toBytes());

            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));

            assertEquals(1, packets.size(), "packets before close: " + packets);
            assertEquals(MqttPackets.CONNACK, packets.get(0).type());
            assertEquals(0x8C, packets.get(0).connackCode());
        }
    }

    @Test
    void rejectedAuthenticationMethodCounted() {
        double before = BROKER.violations("bad_authentication_method");
        try (RawMqttClient client = RawMqttClient.open(BROKER.port())) {
            client.send(Mqtt5Packets.connect(BROKER.clientId("count"))
                    .properties(Mqtt5Properties.create().authenticationMethod("KERBEROS")).toBytes());
            client.receiveUntilClosed(Duration.ofSeconds(5));
        }

        BrokerExtension.awaitIncrease(() -> BROKER.violations("bad_authentication_method"), before);
    }

    @Test
    void authPacketWithoutMethodDisconnectsWith0x82() {
        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("auth")))) {
            // Reason 0x19: re-authenticate, which requires an authentication method from CONNECT.
            client.send(Mqtt5Packets.auth(0x19, Mqtt5Properties.create().authenticationMethod("SCRAM-SHA-256")));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x82, disconnect.reasonCode());
        }
    }

    @Test
    void hiveMqClientRejectedWithBadAuthenticationMethod() {
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(BROKER.clientId("hive"))
                .serverHost("127.0.0.1").serverPort(BROKER.port()).buildBlocking();

        Mqtt5ConnAckException rejected = assertThrows(Mqtt5ConnAckException.class,
                () -> client.connectWith().enhancedAuth(new TokenMechanism()).send());

        assertEquals(Mqtt5ConnAckReasonCode.BAD_AUTHENTICATION_METHOD, rejected.getMqttMessage().getReasonCode());
    }

    @Test
    void pahoClientRejectedWithBadAuthenticationMethod() throws Exception {
        org.eclipse.paho.mqttv5.client.MqttClient client = new org.eclipse.paho.mqttv5.client.MqttClient(
                BROKER.serverUri(), BROKER.clientId("paho"), new MemoryPersistence());
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setAuthMethod("SCRAM-SHA-1");
        options.setAuthData("n,,n=user,r=nonce".getBytes(StandardCharsets.UTF_8));
        try {
            MqttException rejected = assertThrows(MqttException.class, () -> client.connect(options));

            assertEquals(0x8C, rejected.getReasonCode());
        } finally {
            client.close(true);
        }
    }

    @Test
    void brokerServesClientAfterRejection() {
        try (RawMqttClient rejected = RawMqttClient.open(BROKER.port())) {
            rejected.send(Mqtt5Packets.connect(BROKER.clientId("first"))
                    .properties(Mqtt5Properties.create().authenticationMethod("OTP")).toBytes());
            rejected.receiveUntilClosed(Duration.ofSeconds(5));
        }
        try (RawMqttClient client = Mqtt5Packets.connect(BROKER.port(), Mqtt5Packets.connect(BROKER.clientId("next")))) {
            assertTrue(client.ping(), "a client without an authentication method is served");
        }
    }

    /** A client-side mechanism that sends a fixed token and expects success in one step. */
    private static final class TokenMechanism implements Mqtt5EnhancedAuthMechanism {

        @Override
        public MqttUtf8String getMethod() {
            return MqttUtf8String.of("TOKEN");
        }

        @Override
        public int getTimeout() {
            return 5;
        }

        @Override
        public CompletableFuture<Void> onAuth(Mqtt5ClientConfig config, Mqtt5Connect connect,
                Mqtt5EnhancedAuthBuilder authBuilder) {
            authBuilder.data("token".getBytes(StandardCharsets.UTF_8));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> onReAuth(Mqtt5ClientConfig config, Mqtt5AuthBuilder authBuilder) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Boolean> onContinue(Mqtt5ClientConfig config, Mqtt5Auth auth,
                Mqtt5AuthBuilder authBuilder) {
            return CompletableFuture.completedFuture(false);
        }

        @Override
        public CompletableFuture<Boolean> onAuthSuccess(Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {
            return CompletableFuture.completedFuture(true);
        }

        @Override
        public CompletableFuture<Boolean> onReAuthSuccess(Mqtt5ClientConfig config, Mqtt5Auth auth) {
            return CompletableFuture.completedFuture(true);
        }

        @Override
        public void onAuthRejected(Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {
        }

        @Override
        public void onReAuthRejected(Mqtt5ClientConfig config, Mqtt5Disconnect disconnect) {
        }

        @Override
        public void onAuthError(Mqtt5ClientConfig config, Throwable cause) {
        }

        @Override
        public void onReAuthError(Mqtt5ClientConfig config, Throwable cause) {
        }
    }
}
