package io.petrel.broker.protocol;

import static io.petrel.broker.testing.Mqtt5Properties.AUTHENTICATION_DATA;
import static io.petrel.broker.testing.Mqtt5Properties.AUTHENTICATION_METHOD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.api.hook.AuthExchange;
import io.petrel.api.hook.AuthRequest;
import io.petrel.api.hook.AuthStep;
import io.petrel.api.hook.EnhancedAuthenticator;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import io.petrel.broker.testing.ReceivedProperties;
import io.petrel.broker.testing.TestClients;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * MQTT 5.0 enhanced authentication through CONNECT and AUTH packets, against a broker with three
 * test authenticators installed, and the rejections of a broker without any.
 *
 * <table>
 *   <caption>Test authentication methods</caption>
 *   <tr><th>method</th><th>exchange</th></tr>
 *   <tr><td>TEST-TOKEN</td><td>one step: data {@code good-token} succeeds with data {@code welcome}</td></tr>
 *   <tr><td>TEST-CHALLENGE</td><td>{@code client-first}, challenge {@code server-nonce},
 *       {@code server-nonce-signed}, success with data {@code server-final}</td></tr>
 *   <tr><td>TEST-HANG</td><td>never answers</td></tr>
 *   <tr><td>TEST-THROW</td><td>throws from {@code onData}</td></tr>
 * </table>
 */
class EnhancedAuthTest {

    private static final String TOKEN = "TEST-TOKEN";
    private static final String CHALLENGE = "TEST-CHALLENGE";
    private static final int CONTINUE_AUTHENTICATION = 0x18;
    private static final int REAUTHENTICATE = 0x19;
    /** The connect timeout, which also bounds each step of an exchange, so a silent authenticator fails fast. */
    private static final int AUTHENTICATION_TIMEOUT_MILLIS = 2_000;

    /** A broker without enhanced authenticators. */
    @RegisterExtension
    static final BrokerExtension PLAIN  = BrokerExtension.create();

    private static final BlockingQueue<AuthRequest> REQUESTS = new LinkedBlockingQueue<>();
    private static SimpleMeterRegistry registry;
    private static PetrelBroker broker;

    @BeforeAll
    static void startBrokerWithAuthenticators() {
        registry = new SimpleMeterRegistry();
        broker = PetrelBroker.builder()
                .config(BrokerExtension.testConfig().connectTimeoutMillis(AUTHENTICATION_TIMEOUT_MILLIS).build())
                .meterRegistry(registry)
                .enhancedAuthenticator(new TestAuthenticator(TOKEN, request -> data ->
                        step(text(data).equals("good-token") ? AuthStep.success(bytes("welcome"))
                                : AuthStep.failure("invalid token"))))
                .enhancedAuthenticator(new TestAuthenticator(CHALLENGE, request -> new ChallengeExchange()))
                .enhancedAuthenticator(new TestAuthenticator("TEST-HANG", request -> data -> new CompletableFuture<>()))
                .enhancedAuthenticator(new TestAuthenticator("TEST-THROW", request -> data -> {
                    throw new IllegalStateException("authenticator failure in test");
                }))
                .build();
        broker.start();
    }

    @AfterAll
    static void closeBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void oneStepAuthenticationSucceeds() {
        String clientId = "token-ok";
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectWith(clientId, TOKEN, "good-token").toBytes());

            RawPacket connack = client.receive();

            assertTrue(connack.isSuccessfulConnack(), "CONNACK " + connack);
            ReceivedProperties properties = ReceivedProperties.ofConnack(connack);
            assertEquals(TOKEN, properties.string(AUTHENTICATION_METHOD));
            assertEquals("welcome", text(properties.binary(AUTHENTICATION_DATA)));
            assertTrue(client.ping(), "the authenticated client is served");
        }
    }

    @Test
    void authenticatorSeesClientAndMethod() throws InterruptedException {
        REQUESTS.clear();
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectWith("seen-client", TOKEN, "good-token").toBytes());
            assertTrue(client.receive().isSuccessfulConnack());

            AuthRequest request = REQUESTS.poll(5, TimeUnit.SECONDS);

            assertEquals("seen-client", request.clientId());
            assertEquals(TOKEN, request.method());
            assertFalse(request.reauthentication());
        }
    }

    @Test
    void wrongTokenGetsConnack0x87() {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectWith("token-bad", TOKEN, "bad-token").toBytes());

            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));

            assertEquals(1, packets.size(), "packets before close: " + packets);
            assertEquals(MqttPackets.CONNACK, packets.get(0).type());
            assertEquals(0x87, packets.get(0).connackCode());
        }
    }

    @Test
    void challengeResponseSucceeds() {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectWith("challenged", CHALLENGE, "client-first").toBytes());
            RawPacket challenge = client.receive();
            ReceivedProperties challengeProperties = authProperties(challenge);
            client.send(Mqtt5Packets.auth(CONTINUE_AUTHENTICATION, Mqtt5Properties.create()
                    .authenticationMethod(CHALLENGE).binaryProperty(AUTHENTICATION_DATA, bytes("server-nonce-signed"))));

            RawPacket connack = client.receive();

            assertEquals(Mqtt5Packets.AUTH, challenge.type(), "challenge " + challenge);
            assertEquals(CONTINUE_AUTHENTICATION, authReason(challenge));
            assertEquals(CHALLENGE, challengeProperties.string(AUTHENTICATION_METHOD));
            assertEquals("server-nonce", text(challengeProperties.binary(AUTHENTICATION_DATA)));
            assertTrue(connack.isSuccessfulConnack(), "CONNACK " + connack);
            assertEquals("server-final", text(ReceivedProperties.ofConnack(connack).binary(AUTHENTICATION_DATA)));
        }
    }

    @Test
    void wrongChallengeAnswerGetsConnack0x87() {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectWith("wrong-answer", CHALLENGE, "client-first").toBytes());
            assertEquals(Mqtt5Packets.AUTH, client.receive().type());
            client.send(Mqtt5Packets.auth(CONTINUE_AUTHENTICATION, Mqtt5Properties.create()
                    .authenticationMethod(CHALLENGE).binaryProperty(AUTHENTICATION_DATA, bytes("guess"))));

            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));

            assertEquals(1, packets.size(), "packets before close: " + packets);
            assertEquals(0x87, packets.get(0).connackCode());
        }
    }

    @Test
    void authWithOtherMethodClosesConnection() {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectWith("switcher", CHALLENGE, "client-first").toBytes());
            assertEquals(Mqtt5Packets.AUTH, client.receive().type());
            client.send(Mqtt5Packets.auth(CONTINUE_AUTHENTICATION, Mqtt5Properties.create()
                    .authenticationMethod(TOKEN).binaryProperty(AUTHENTICATION_DATA, bytes("server-nonce-signed"))));

            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));

            assertFalse(packets.stream().anyMatch(RawPacket::isSuccessfulConnack), "accepted after " + packets);
        }
    }

    @Test
    void publishDuringAuthenticationClosesConnection() {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectWith("eager", CHALLENGE, "client-first").toBytes());
            assertEquals(Mqtt5Packets.AUTH, client.receive().type());
            client.send(Mqtt5Packets.publish("early/t", "x", 0, 0, false, Mqtt5Properties.none()));

            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));

            assertFalse(packets.stream().anyMatch(RawPacket::isSuccessfulConnack), "accepted after " + packets);
        }
    }

    @Test
    void unknownMethodGetsConnack0x8C() {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectWith("unknown", "SCRAM-SHA-512", "n,,n=user").toBytes());

            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));

            assertEquals(1, packets.size(), "packets before close: " + packets);
            assertEquals(0x8C, packets.get(0).connackCode());
        }
    }

    @Test
    void silentAuthenticatorTimesOut() {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectWith("hang", "TEST-HANG", "anything").toBytes());

            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));

            assertFalse(packets.stream().anyMatch(RawPacket::isSuccessfulConnack), "accepted after " + packets);
        }
    }

    @Test
    void throwingAuthenticatorGetsConnack0x87() {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectWith("thrower", "TEST-THROW", "anything").toBytes());

            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));

            assertEquals(1, packets.size(), "packets before close: " + packets);
            assertEquals(0x87, packets.get(0).connackCode());
        }
        try (RawMqttClient next = RawMqttClient.open(broker.port())) {
            next.send(connectWith("after-thrower", TOKEN, "good-token").toBytes());
            assertTrue(next.receive().isSuccessfulConnack(), "broker still authenticates clients");
        }
    }

    @Test
    void reauthenticationSucceeds() throws InterruptedException {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectWith("reauth", TOKEN, "good-token").toBytes());
            assertTrue(client.receive().isSuccessfulConnack());
            REQUESTS.clear();
            client.send(Mqtt5Packets.auth(REAUTHENTICATE, Mqtt5Properties.create()
                    .authenticationMethod(TOKEN).binaryProperty(AUTHENTICATION_DATA, bytes("good-token"))));

            RawPacket auth = client.receive();

            assertEquals(Mqtt5Packets.AUTH, auth.type(), "reply " + auth);
            assertEquals(0x00, authReason(auth));
            assertTrue(REQUESTS.poll(5, TimeUnit.SECONDS).reauthentication(), "exchange not marked as re-authentication");
            assertTrue(client.ping(), "connection still open after re-authentication");
        }
    }

    @Test
    void failedReauthenticationDisconnectsWith0x87() {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectWith("reauth-bad", TOKEN, "good-token").toBytes());
            assertTrue(client.receive().isSuccessfulConnack());
            client.send(Mqtt5Packets.auth(REAUTHENTICATE, Mqtt5Properties.create()
                    .authenticationMethod(TOKEN).binaryProperty(AUTHENTICATION_DATA, bytes("expired-token"))));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x87, disconnect.reasonCode());
        }
    }

    @Test
    void reauthenticationWithOtherMethodDisconnectsWith0x82() {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectWith("reauth-switch", TOKEN, "good-token").toBytes());
            assertTrue(client.receive().isSuccessfulConnack());
            client.send(Mqtt5Packets.auth(REAUTHENTICATE, Mqtt5Properties.create()
                    .authenticationMethod(CHALLENGE).binaryProperty(AUTHENTICATION_DATA, bytes("client-first"))));

            assertEquals(0x82, Mqtt5Packets.awaitDisconnect(client).reasonCode());
        }
    }

    @Test
    void hiveMqChallengeResponseAndReauthentication() {
        HiveMqChallengeMechanism mechanism = new HiveMqChallengeMechanism();
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier("hive-challenge")
                .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
        try {
            Mqtt5ConnAck connack = client.connectWith().enhancedAuth(mechanism).send();
            client.reauth();

            assertEquals(Mqtt5ConnAckReasonCode.SUCCESS, connack.getReasonCode());
            assertEquals("server-final", mechanism.finalData.getNow(null));
            assertTrue(mechanism.reauthenticated.getNow(false), "re-authentication did not succeed");
        } finally {
            TestClients.disconnect(client);
        }
    }

    @Test
    void plainBrokerRejectsMethodWithConnack0x8C() {
        try (RawMqttClient client = RawMqttClient.open(PLAIN.port())) {
            client.send(connectWith(PLAIN.clientId("scram"), "SCRAM-SHA-256", "client-first").toBytes());

            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));

            assertEquals(1, packets.size(), "packets before close: " + packets);
            assertEquals(MqttPackets.CONNACK, packets.get(0).type());
            assertEquals(0x8C, packets.get(0).connackCode());
        }
    }

    @Test
    void plainBrokerCountsRejectedMethod() {
        double before = PLAIN.violations("bad_authentication_method");
        try (RawMqttClient client = RawMqttClient.open(PLAIN.port())) {
            client.send(connectWith(PLAIN.clientId("count"), "KERBEROS", "ticket").toBytes());
            client.receiveUntilClosed(Duration.ofSeconds(5));
        }

        BrokerExtension.awaitIncrease(() -> PLAIN.violations("bad_authentication_method"), before);
    }

    @Test
    void authPacketWithoutMethodDisconnectsWith0x82() {
        try (RawMqttClient client = Mqtt5Packets.connect(PLAIN.port(), Mqtt5Packets.connect(PLAIN.clientId("auth")))) {
            client.send(Mqtt5Packets.auth(REAUTHENTICATE, Mqtt5Properties.create().authenticationMethod("SCRAM-SHA-256")));

            RawPacket disconnect = Mqtt5Packets.awaitDisconnect(client);

            assertEquals(0x82, disconnect.reasonCode());
        }
    }

    @Test
    void authenticationDataWithoutMethodRejected() {
        try (RawMqttClient client = RawMqttClient.open(PLAIN.port())) {
            client.send(Mqtt5Packets.connect(PLAIN.clientId("data-only"))
                    .properties(Mqtt5Properties.create().binaryProperty(AUTHENTICATION_DATA, bytes("orphan")))
                    .toBytes());

            List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));

            assertEquals(1, packets.size(), "packets before close: " + packets);
            assertEquals(0x82, packets.get(0).connackCode());
        }
    }

    @Test
    void hiveMqClientRejectedByPlainBroker() {
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(PLAIN.clientId("hive"))
                .serverHost("127.0.0.1").serverPort(PLAIN.port()).buildBlocking();

        Mqtt5ConnAckException rejected = assertThrows(Mqtt5ConnAckException.class,
                () -> client.connectWith().enhancedAuth(new HiveMqChallengeMechanism()).send());

        assertEquals(Mqtt5ConnAckReasonCode.BAD_AUTHENTICATION_METHOD, rejected.getMqttMessage().getReasonCode());
    }

    @Test
    void pahoClientRejectedByPlainBroker() throws Exception {
        org.eclipse.paho.mqttv5.client.MqttClient client = new org.eclipse.paho.mqttv5.client.MqttClient(
                PLAIN.serverUri(), PLAIN.clientId("paho"), new MemoryPersistence());
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setAuthMethod("SCRAM-SHA-1");
        options.setAuthData(bytes("n,,n=user,r=nonce"));
        try {
            MqttException rejected = assertThrows(MqttException.class, () -> client.connect(options));

            assertEquals(0x8C, rejected.getReasonCode());
        } finally {
            client.close(true);
        }
    }

    private static Mqtt5Packets.Connect connectWith(String clientId, String method, String data) {
        return Mqtt5Packets.connect(clientId).properties(Mqtt5Properties.create()
                .authenticationMethod(method).binaryProperty(AUTHENTICATION_DATA, bytes(data)));
    }

    /** Returns the reason code of an AUTH packet; a packet without a body means 0x00 (success). */
    private static int authReason(RawPacket auth) {
        if (auth.body().length == 0) {
            return 0x00;
        }
        return auth.body()[0] & 0xFF;
    }

    private static ReceivedProperties authProperties(RawPacket auth) {
        // AUTH: reason code, then the property list; the decoder of DISCONNECT reads the same layout.
        return ReceivedProperties.ofDisconnect(new RawPacket(MqttPackets.DISCONNECT, 0, auth.body()));
    }

    private static CompletionStage<AuthStep> step(AuthStep step) {
        return CompletableFuture.completedFuture(step);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] data) {
        return new String(data, StandardCharsets.UTF_8);
    }

    /** An authenticator for one method that records each request and starts the given exchange. */
    private record TestAuthenticator(String method, Function<AuthRequest, AuthExchange> exchanges)
            implements EnhancedAuthenticator {

        @Override
        public AuthExchange start(AuthRequest request) {
            REQUESTS.add(request);
            return exchanges.apply(request);
        }
    }

    /** The server side of TEST-CHALLENGE. Used by one connection at a time, as the broker promises. */
    private static final class ChallengeExchange implements AuthExchange {

        private boolean challenged;

        @Override
        public CompletionStage<AuthStep> onData(byte[] clientData) {
            if (!challenged) {
                challenged = true;
                return step(text(clientData).equals("client-first")
                        ? AuthStep.challenge(bytes("server-nonce")) : AuthStep.failure("unexpected first message"));
            }
            return step(text(clientData).equals("server-nonce-signed")
                    ? AuthStep.success(bytes("server-final")) : AuthStep.failure("wrong answer to the challenge"));
        }
    }

    /** The client side of TEST-CHALLENGE for the HiveMQ client, re-authentication included. */
    private static final class HiveMqChallengeMechanism implements Mqtt5EnhancedAuthMechanism {

        private final CompletableFuture<String> finalData = new CompletableFuture<>();
        private final CompletableFuture<Boolean> reauthenticated = new CompletableFuture<>();

        @Override
        public MqttUtf8String getMethod() {
            return MqttUtf8String.of(CHALLENGE);
        }

        @Override
        public int getTimeout() {
            return 5;
        }

        @Override
        public CompletableFuture<Void> onAuth(Mqtt5ClientConfig config, Mqtt5Connect connect,
                Mqtt5EnhancedAuthBuilder authBuilder) {
            authBuilder.data(bytes("client-first"));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> onReAuth(Mqtt5ClientConfig config, Mqtt5AuthBuilder authBuilder) {
            authBuilder.data(bytes("client-first"));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Boolean> onContinue(Mqtt5ClientConfig config, Mqtt5Auth auth,
                Mqtt5AuthBuilder authBuilder) {
            boolean expected = auth.getData().map(data -> text(toArray(data)).equals("server-nonce")).orElse(false);
            authBuilder.data(bytes("server-nonce-signed"));
            return CompletableFuture.completedFuture(expected);
        }

        @Override
        public CompletableFuture<Boolean> onAuthSuccess(Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {
            finalData.complete(connAck.getEnhancedAuth().flatMap(auth -> auth.getData())
                    .map(data -> text(toArray(data))).orElse(""));
            return CompletableFuture.completedFuture(true);
        }

        @Override
        public CompletableFuture<Boolean> onReAuthSuccess(Mqtt5ClientConfig config, Mqtt5Auth auth) {
            reauthenticated.complete(true);
            return CompletableFuture.completedFuture(true);
        }

        @Override
        public void onAuthRejected(Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {
        }

        @Override
        public void onReAuthRejected(Mqtt5ClientConfig config, Mqtt5Disconnect disconnect) {
            reauthenticated.complete(false);
        }

        @Override
        public void onAuthError(Mqtt5ClientConfig config, Throwable cause) {
        }

        @Override
        public void onReAuthError(Mqtt5ClientConfig config, Throwable cause) {
            reauthenticated.complete(false);
        }

        private static byte[] toArray(ByteBuffer data) {
            byte[] copy = new byte[data.remaining()];
            data.duplicate().get(copy);
            return copy;
        }
    }
}
