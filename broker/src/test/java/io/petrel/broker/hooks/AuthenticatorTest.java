package io.petrel.broker.hooks;

import static io.petrel.broker.hooks.HookTestSupport.connect;
import static io.petrel.broker.hooks.HookTestSupport.connectPacket;
import static io.petrel.broker.hooks.HookTestSupport.counter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.api.hook.AuthenticationRequest;
import io.petrel.api.hook.AuthenticationResult;
import io.petrel.api.hook.AuthorizationAction;
import io.petrel.api.hook.AuthorizationDecision;
import io.petrel.api.hook.Authenticator;
import io.petrel.api.hook.ClientInfo;
import io.petrel.api.hook.ProtocolVersion;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.protocol.MqttConnectionHandler;
import io.petrel.broker.testing.LogCapture;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AuthenticatorTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicReference<ClientInfo> authorizedClient = new AtomicReference<>();
    private final AtomicReference<AuthenticationRequest> lastRequest = new AtomicReference<>();
    private PetrelBroker broker;

    @RegisterExtension
    final LogCapture log = LogCapture.of(MqttConnectionHandler.class, Level.INFO);

    @AfterEach
    void closeBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    /**
     * Decides by user name: "alice" with password "secret" succeeds with an attribute, "alice" with
     * another password has bad credentials, "mallory" is not authorized, "slow" succeeds after 200 ms
     * on another thread, "stuck" never completes, "boom" throws, and anyone else is passed on.
     */
    private final class UserNameAuthenticator implements Authenticator {

        @Override
        public CompletionStage<AuthenticationResult> authenticate(AuthenticationRequest request) {
            lastRequest.set(request);
            String user = request.username().orElse("");
            String password = request.password().map(bytes -> new String(bytes, StandardCharsets.UTF_8)).orElse("");
            return switch (user) {
                case "alice" -> CompletableFuture.completedFuture(password.equals("secret")
                        ? AuthenticationResult.success(Map.of("room", "kitchen"))
                        : AuthenticationResult.badCredentials("wrong password"));
                case "mallory" -> CompletableFuture.completedFuture(AuthenticationResult.notAuthorized("blocked user"));
                case "slow" -> CompletableFuture.supplyAsync(AuthenticationResult::success,
                        CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS));
                case "stuck" -> new CompletableFuture<>();
                case "boom" -> throw new IllegalStateException("directory unavailable");
                default -> CompletableFuture.completedFuture(AuthenticationResult.next());
            };
        }
    }

    private void startBroker(int hookTimeoutMillis) {
        broker = HookTestSupport.start(registry, config -> config.hookTimeoutMillis(hookTimeoutMillis),
                builder -> builder.authenticator(new UserNameAuthenticator())
                        .authorizer((client, action, topic) -> {
                            authorizedClient.set(client);
                            return AuthorizationDecision.ALLOW;
                        }));
    }

    private RawPacket connackFor(int level, String user, String password) {
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            client.send(connectPacket(level, "auth-" + user + "-" + level).username(user).password(password).toBytes());
            return client.receive();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {MqttPackets.MQTT_3_1_1, MqttPackets.MQTT_5})
    void validCredentialsAccepted(int level) {
        startBroker(2_000);

        RawPacket connack = connackFor(level, "alice", "secret");

        assertTrue(connack.isSuccessfulConnack(), "expected an accepted CONNACK, got " + connack);
    }

    @ParameterizedTest
    @CsvSource({"4, 4", "5, 134"})
    void badCredentialsRejectedWithVersionCode(int level, int expectedCode) {
        startBroker(2_000);

        RawPacket connack = connackFor(level, "alice", "guess");

        assertEquals(MqttPackets.CONNACK, connack.type());
        assertEquals(expectedCode, connack.connackCode());
    }

    @ParameterizedTest
    @CsvSource({"4, 5", "5, 135"})
    void notAuthorizedRejectedWithVersionCode(int level, int expectedCode) {
        startBroker(2_000);

        RawPacket connack = connackFor(level, "mallory", "any");

        assertEquals(expectedCode, connack.connackCode());
    }

    @Test
    void clientNoAuthenticatorDecidesIsRejected() {
        startBroker(2_000);

        RawPacket connack = connackFor(MqttPackets.MQTT_5, "unknown", "any");

        assertEquals(0x87, connack.connackCode());
    }

    @Test
    void asyncSuccessAcceptsClient() {
        startBroker(2_000);

        RawPacket connack = connackFor(MqttPackets.MQTT_5, "slow", "any");

        assertTrue(connack.isSuccessfulConnack(), "expected an accepted CONNACK, got " + connack);
    }

    @ParameterizedTest
    @CsvSource({"4, 5", "5, 135"})
    void authenticatorTimeoutRejectsClient(int level, int expectedCode) {
        startBroker(300);
        double timeoutsBefore = counter(registry, "petrel.hooks.timeouts", "hook", "authenticator");

        RawPacket connack = connackFor(level, "stuck", "any");

        assertEquals(expectedCode, connack.connackCode());
        assertEquals(timeoutsBefore + 1, counter(registry, "petrel.hooks.timeouts", "hook", "authenticator"));
    }

    @Test
    void throwingAuthenticatorRejectsAndIsCounted() {
        startBroker(2_000);

        RawPacket connack = connackFor(MqttPackets.MQTT_5, "boom", "any");

        assertEquals(0x87, connack.connackCode());
        assertEquals(1, counter(registry, "petrel.hooks.errors", "hook", "authenticator"));
        assertTrue(connackFor(MqttPackets.MQTT_5, "alice", "secret").isSuccessfulConnack(),
                "a later client connects after an authenticator failure");
    }

    @Test
    void packetsAfterConnectWaitForAuthentication() {
        startBroker(2_000);
        String topic = "auth/held";
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            byte[] connect = connectPacket(MqttPackets.MQTT_3_1_1, "held").username("slow").password("x").toBytes();
            byte[] subscribe = MqttPackets.subscribe(MqttPackets.MQTT_3_1_1, 1, 0, topic);
            byte[] publish = MqttPackets.publish(MqttPackets.MQTT_3_1_1, topic, "after-connect", 0, 0);
            client.send(concat(connect, subscribe, publish));

            RawPacket connack = client.receive();
            RawPacket suback = client.receive();
            RawPacket message = client.receive();

            assertTrue(connack.isSuccessfulConnack(), "expected CONNACK first, got " + connack);
            assertEquals(MqttPackets.SUBACK, suback.type());
            assertEquals("after-connect", message.payload(MqttPackets.MQTT_3_1_1));
        }
    }

    @Test
    void rejectionsLoggedOnceAndCountedAtStop() {
        startBroker(2_000);
        connackFor(MqttPackets.MQTT_3_1_1, "mallory", "any");
        connackFor(MqttPackets.MQTT_5, "mallory", "any");

        broker.close();

        List<String> lines = log.events().stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(1, lines.stream().filter(line -> line.startsWith("Rejected connection of client auth-mallory"))
                .count(), lines.toString());
        assertEquals("1 line about CONNECTs rejected by an authenticator or interceptor held back after the last one"
                + " logged", lines.get(lines.size() - 1));
    }

    @Test
    void heldPublishKeepsKeepaliveRunning() {
        startBroker(2_000);
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            byte[] connect = connectPacket(MqttPackets.MQTT_3_1_1, "held-idle").username("slow").password("x")
                    .keepAliveSeconds(1).toBytes();
            byte[] publish = MqttPackets.publish(MqttPackets.MQTT_3_1_1, "auth/held/idle", "once", 1, 3);
            client.send(concat(connect, publish));

            assertTrue(client.receive().isSuccessfulConnack(), "expected CONNACK first");
            assertEquals(MqttPackets.PUBACK, client.receive().type());
            // Silent from here on: 1.5 keepalive periods later the broker closes the connection.
            assertEquals(List.of(), client.receiveUntilClosed(Duration.ofSeconds(5)));
        }
    }

    @Test
    void heldPublishesKeepTheirOwnFields() {
        startBroker(2_000);
        try (RawMqttClient client = RawMqttClient.open(broker.port())) {
            byte[] connect = connectPacket(MqttPackets.MQTT_3_1_1, "held2").username("slow").password("x").toBytes();
            byte[] subscribe = MqttPackets.subscribe(MqttPackets.MQTT_3_1_1, 1, 0, "auth/held/#");
            byte[] first = MqttPackets.publish(MqttPackets.MQTT_3_1_1, "auth/held/a", "first", 0, 0);
            byte[] second = MqttPackets.publish(MqttPackets.MQTT_3_1_1, "auth/held/bb", "second", 1, 5);
            client.send(concat(connect, subscribe, first, second));

            assertTrue(client.receive().isSuccessfulConnack(), "expected CONNACK first");
            assertEquals(MqttPackets.SUBACK, client.receive().type());
            RawPacket firstMessage = client.receive(MqttPackets.PUBLISH);
            RawPacket secondMessage = client.receive(MqttPackets.PUBLISH);

            assertEquals("auth/held/a", firstMessage.topic());
            assertEquals("first", firstMessage.payload(MqttPackets.MQTT_3_1_1));
            assertEquals("auth/held/bb", secondMessage.topic());
            assertEquals("second", secondMessage.payload(MqttPackets.MQTT_3_1_1));
        }
    }

    @Test
    void attributesAndCredentialsReachLaterHooks() {
        startBroker(2_000);
        try (RawMqttClient client = RawMqttClient.connect(broker.port(),
                connectPacket(MqttPackets.MQTT_5, "attrs").username("alice").password("secret"))) {
            client.send(MqttPackets.publish(MqttPackets.MQTT_5, "attrs/topic", "x", 1, 7));
            client.receive(MqttPackets.PUBACK);
        }

        ClientInfo client = authorizedClient.get();
        AuthenticationRequest request = lastRequest.get();
        assertEquals(Map.of("room", "kitchen"), client.attributes());
        assertEquals("alice", client.username().orElse(null));
        assertEquals(ProtocolVersion.MQTT_5, client.protocolVersion());
        assertEquals(List.of(), client.certificates());
        assertTrue(client.remoteAddress().isPresent(), "the remote address is known");
        assertEquals("attrs", request.clientId());
        assertEquals(List.of(), request.certificates());
    }

    @Test
    void requestToStringLeavesPasswordOut() {
        AuthenticationRequest request = new AuthenticationRequest("c", "alice",
                "hunter2".getBytes(StandardCharsets.UTF_8), List.of(), null, ProtocolVersion.MQTT_5);

        assertFalse(request.toString().contains("hunter2"), request.toString());
    }

    @Test
    void authenticatorsAskedInRegistrationOrder() {
        broker = HookTestSupport.start(registry, builder -> builder
                .authenticator(request -> CompletableFuture.completedFuture(AuthenticationResult.next()))
                .authenticator(request -> CompletableFuture.completedFuture(
                        AuthenticationResult.badCredentials("second decides")))
                .authenticator(request -> CompletableFuture.completedFuture(AuthenticationResult.success())));

        RawPacket connack = connackFor(MqttPackets.MQTT_5, "anyone", "any");

        assertEquals(0x86, connack.connackCode());
    }

    @Test
    void withoutAuthenticatorEveryClientConnects() {
        broker = HookTestSupport.start(registry, builder -> builder);

        try (RawMqttClient client = connect(broker, MqttPackets.MQTT_5, "open")) {
            assertTrue(client.connack().isSuccessfulConnack());
        }
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int offset = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, offset, part.length);
            offset += part.length;
        }
        return all;
    }
}
