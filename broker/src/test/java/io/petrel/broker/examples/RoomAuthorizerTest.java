package io.petrel.broker.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.api.hook.AuthorizationAction;
import io.petrel.api.hook.AuthorizationDecision;
import io.petrel.api.hook.ClientInfo;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.RawMqttClient;
import io.petrel.broker.testing.RawPacket;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Runs the {@link RoomAuthorizer} of {@code docs/hooks.md} in a broker and on its own. */
class RoomAuthorizerTest {

    private static final int V5 = MqttPackets.MQTT_5;

    private PetrelBroker broker;

    @BeforeEach
    void startBroker() {
        broker = PetrelBroker.builder()
                .config(BrokerExtension.testConfig().build())
                .meterRegistry(new SimpleMeterRegistry())
                .authorizer(new RoomAuthorizer())
                .build();
        broker.start();
    }

    @AfterEach
    void closeBroker() {
        broker.close();
    }

    @Test
    void clientPublishesInOwnRoomOnly() {
        try (RawMqttClient alice = RawMqttClient.connect(broker.port(), ConnectPacket.mqtt5("alice"));
             RawMqttClient bob = RawMqttClient.connect(broker.port(), ConnectPacket.mqtt5("bob"))) {
            bob.subscribe(V5, 1, "room/#");

            alice.send(MqttPackets.publish(V5, "room/bob/light", "off", 1, 1));
            RawPacket intoOtherRoom = alice.receive(MqttPackets.PUBACK);
            alice.send(MqttPackets.publish(V5, "room/alice/light", "on", 1, 2));
            RawPacket intoOwnRoom = alice.receive(MqttPackets.PUBACK);

            assertEquals(0x87, intoOtherRoom.reasonCode());
            assertEquals(0x00, intoOwnRoom.reasonCode());
            assertEquals("room/alice/light", bob.receive(MqttPackets.PUBLISH).topic());
        }
    }

    @Test
    void subscriptionsOutsideRoomsDenied() {
        try (RawMqttClient alice = RawMqttClient.connect(broker.port(), ConnectPacket.mqtt5("alice"))) {
            RawPacket suback = alice.subscribe(V5, 0, "room/+/light", "system/#");

            assertEquals(List.of(0, 0x87), suback.subackCodes(V5));
        }
    }

    @ParameterizedTest
    @CsvSource({
        "alice, room/alice, ALLOW",
        "alice, room/alice/light, ALLOW",
        "alice, room/alicesister/light, DENY",
        "alice, room/bob/light, DENY",
        "alice, room, DENY",
        "a/b, room/a/b/light, DENY",
        "a+, room/a+/light, DENY"})
    void publishDecisions(String clientId, String topic, AuthorizationDecision expected) {
        ClientInfo client = ClientInfo.builder(clientId).build();

        assertEquals(expected, new RoomAuthorizer().authorize(client, AuthorizationAction.PUBLISH, topic));
    }
}
