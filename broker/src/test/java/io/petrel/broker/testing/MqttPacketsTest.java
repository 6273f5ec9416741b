package io.petrel.broker.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Checks the hand-made packets against Netty's MQTT decoder, so that broker tests start from valid input. */
class MqttPacketsTest {

    @Test
    void connect311WithWillAndCredentialsDecodes() {
        byte[] bytes = ConnectPacket.mqtt311("client-1").cleanSession(false).keepAliveSeconds(30)
                .will("will/topic", "gone", 1, true).username("user").password("secret").toBytes();

        MqttConnectMessage connect = assertInstanceOf(MqttConnectMessage.class, decodeFirst(bytes));

        assertEquals("MQTT", connect.variableHeader().name());
        assertEquals(4, connect.variableHeader().version());
        assertEquals(false, connect.variableHeader().isCleanSession());
        assertEquals(30, connect.variableHeader().keepAliveTimeSeconds());
        assertEquals(1, connect.variableHeader().willQos());
        assertEquals(true, connect.variableHeader().isWillRetain());
        assertEquals("client-1", connect.payload().clientIdentifier());
        assertEquals("will/topic", connect.payload().willTopic());
        assertEquals("gone", new String(connect.payload().willMessageInBytes(), StandardCharsets.UTF_8));
        assertEquals("user", connect.payload().userName());
        assertEquals("secret", new String(connect.payload().passwordInBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void connect31Decodes() {
        MqttConnectMessage connect = assertInstanceOf(MqttConnectMessage.class,
                decodeFirst(ConnectPacket.mqtt31("old-client").toBytes()));

        assertEquals("MQIsdp", connect.variableHeader().name());
        assertEquals(3, connect.variableHeader().version());
    }

    @Test
    void connect5WithSessionExpiryDecodes() {
        byte[] bytes = ConnectPacket.mqtt5("client-5").sessionExpirySeconds(120).will("w", "x", 0, false).toBytes();

        MqttConnectMessage connect = assertInstanceOf(MqttConnectMessage.class, decodeFirst(bytes));

        assertEquals(5, connect.variableHeader().version());
        MqttProperties.MqttProperty<?> expiry = connect.variableHeader().properties()
                .getProperty(MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value());
        assertEquals(120, expiry.value());
        assertEquals("w", connect.payload().willTopic());
    }

    @Test
    void publishAndSubscribe5Decode() {
        EmbeddedChannel channel = new EmbeddedChannel(new MqttDecoder());
        channel.writeInbound(Unpooled.wrappedBuffer(ConnectPacket.mqtt5("c").toBytes()));
        ReferenceCountUtil.release(channel.readInbound());

        channel.writeInbound(Unpooled.wrappedBuffer(MqttPackets.publish(MqttPackets.MQTT_5, "a/b", "hello", 2, 7, true, true)));
        channel.writeInbound(Unpooled.wrappedBuffer(MqttPackets.subscribe(MqttPackets.MQTT_5, 9, 1, "a/#", "b/+")));
        MqttPublishMessage publish = assertInstanceOf(MqttPublishMessage.class, channel.readInbound());
        MqttSubscribeMessage subscribe = assertInstanceOf(MqttSubscribeMessage.class, channel.readInbound());
        try {
            assertEquals("a/b", publish.variableHeader().topicName());
            assertEquals(7, publish.variableHeader().packetId());
            assertEquals(MqttQoS.EXACTLY_ONCE, publish.fixedHeader().qosLevel());
            assertTrue(publish.fixedHeader().isDup());
            assertTrue(publish.fixedHeader().isRetain());
            ByteBuf payload = publish.payload();
            assertEquals("hello", payload.toString(StandardCharsets.UTF_8));
            assertEquals(9, subscribe.variableHeader().messageId());
            assertEquals(List.of("a/#", "b/+"), subscribe.payload().topicSubscriptions().stream()
                    .map(subscription -> subscription.topicFilter()).toList());
        } finally {
            publish.release();
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void rawPacketReadsPublishFields() {
        byte[] bytes = MqttPackets.publish(MqttPackets.MQTT_5, "t/x", "body", 1, 300, true, false);
        RawPacket packet = new RawPacket(bytes[0] >> 4 & 0x0F, bytes[0] & 0x0F,
                Arrays.copyOfRange(bytes, 2, bytes.length));

        assertEquals(MqttPackets.PUBLISH, packet.type());
        assertEquals("t/x", packet.topic());
        assertEquals(300, packet.publishPacketId());
        assertEquals(1, packet.qos());
        assertTrue(packet.dup());
        assertEquals("body", packet.payload(MqttPackets.MQTT_5));
    }

    @Test
    void remainingLengthUsesVariableByteInteger() {
        byte[] bytes = MqttPackets.packet(0x30, new byte[200]);

        assertArrayEquals(new byte[] {0x30, (byte) 0xC8, 0x01}, Arrays.copyOf(bytes, 3));
    }

    private static MqttMessage decodeFirst(byte[] bytes) {
        EmbeddedChannel channel = new EmbeddedChannel(new MqttDecoder());
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        MqttMessage message = channel.readInbound();
        channel.finishAndReleaseAll();
        assertTrue(message.decoderResult().isSuccess(), () -> "decoding failed: " + message.decoderResult());
        return message;
    }
}
