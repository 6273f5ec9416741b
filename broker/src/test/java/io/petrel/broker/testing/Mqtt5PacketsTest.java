package io.petrel.broker.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Checks the MQTT 5.0 packets of {@link Mqtt5Packets} against Netty's MQTT decoder, and
 * {@link ReceivedProperties} against packets built by {@link Mqtt5Packets}.
 */
class Mqtt5PacketsTest {

    @Test
    void connectWithPropertiesAndWillDecodes() {
        byte[] bytes = Mqtt5Packets.connect("client-5").cleanStart(false).keepAliveSeconds(20)
                .properties(Mqtt5Properties.create().sessionExpiryInterval(300).receiveMaximum(2)
                        .topicAliasMaximum(3).maximumPacketSize(1000))
                .will("will/t", "gone", 1, true, Mqtt5Properties.create().willDelayInterval(7).contentType("text"))
                .toBytes();

        decodeAfterConnect(bytes, message -> {
            MqttConnectMessage connect = assertInstanceOf(MqttConnectMessage.class, message);
            MqttProperties properties = connect.variableHeader().properties();
            MqttProperties willProperties = connect.payload().willProperties();
            assertEquals(5, connect.variableHeader().version());
            assertFalse(connect.variableHeader().isCleanSession());
            assertEquals(20, connect.variableHeader().keepAliveTimeSeconds());
            assertEquals(300, properties.getProperty(MqttProperties.SESSION_EXPIRY_INTERVAL).value());
            assertEquals(2, properties.getProperty(MqttProperties.RECEIVE_MAXIMUM).value());
            assertEquals(3, properties.getProperty(MqttProperties.TOPIC_ALIAS_MAXIMUM).value());
            assertEquals(1000, properties.getProperty(MqttProperties.MAXIMUM_PACKET_SIZE).value());
            assertEquals("client-5", connect.payload().clientIdentifier());
            assertEquals("will/t", connect.payload().willTopic());
            assertEquals(1, connect.variableHeader().willQos());
            assertTrue(connect.variableHeader().isWillRetain());
            assertEquals(7, willProperties.getProperty(MqttProperties.WILL_DELAY_INTERVAL).value());
            assertEquals("text", willProperties.getProperty(MqttProperties.CONTENT_TYPE).value());
        });
    }

    @Test
    void publishWithPropertiesDecodes() {
        byte[] bytes = Mqtt5Packets.publish("a/b", "hello", 1, 9, true, Mqtt5Properties.create()
                .topicAlias(2).userProperty("k", "v1").userProperty("k", "v2").correlationData(new byte[] {1, 2}));

        decodeAfterConnect(bytes, message -> {
            MqttPublishMessage publish = assertInstanceOf(MqttPublishMessage.class, message);
            MqttProperties properties = publish.variableHeader().properties();
            assertEquals("a/b", publish.variableHeader().topicName());
            assertEquals(9, publish.variableHeader().packetId());
            assertTrue(publish.fixedHeader().isRetain());
            assertEquals(2, properties.getProperty(MqttProperties.TOPIC_ALIAS).value());
            assertEquals(2, properties.getProperties(MqttProperties.USER_PROPERTY).size());
            assertArrayEquals(new byte[] {1, 2},
                    (byte[]) properties.getProperty(MqttProperties.CORRELATION_DATA).value());
            assertEquals("hello", publish.content().toString(StandardCharsets.UTF_8));
        });
    }

    @Test
    void subscribeWithOptionsAndIdentifierDecodes() {
        byte[] bytes = Mqtt5Packets.subscribe(4, Mqtt5Properties.create().subscriptionIdentifier(300), "x/#",
                1 | Mqtt5Packets.NO_LOCAL | Mqtt5Packets.RETAIN_AS_PUBLISHED | Mqtt5Packets.RETAIN_HANDLING_NEVER);

        decodeAfterConnect(bytes, message -> {
            MqttSubscribeMessage subscribe = assertInstanceOf(MqttSubscribeMessage.class, message);
            MqttTopicSubscription subscription = subscribe.payload().topicSubscriptions().get(0);
            assertEquals(300, subscribe.idAndPropertiesVariableHeader().properties()
                    .getProperty(MqttProperties.SUBSCRIPTION_IDENTIFIER).value());
            assertEquals("x/#", subscription.topicName());
            assertEquals(1, subscription.option().qos().value());
            assertTrue(subscription.option().isNoLocal());
            assertTrue(subscription.option().isRetainAsPublished());
            assertEquals(2, subscription.option().retainHandling().value());
        });
    }

    @Test
    void disconnectWithReasonAndExpiryDecodes() {
        byte[] bytes = Mqtt5Packets.disconnect(0x04, Mqtt5Properties.create().sessionExpiryInterval(30));

        decodeAfterConnect(bytes, message -> {
            MqttReasonCodeAndPropertiesVariableHeader header =
                    assertInstanceOf(MqttReasonCodeAndPropertiesVariableHeader.class, message.variableHeader());
            assertEquals(0x04, header.reasonCode());
            assertEquals(30, header.properties().getProperty(MqttProperties.SESSION_EXPIRY_INTERVAL).value());
        });
    }

    @Test
    void receivedPropertiesKeepWireOrder() {
        byte[] bytes = Mqtt5Packets.publish("t", "body", 1, 7, false, Mqtt5Properties.create()
                .subscriptionIdentifier(200).userProperty("b", "2").subscriptionIdentifier(1).userProperty("a", "1")
                .messageExpiryInterval(0xFFFF_FFFEL));
        RawPacket packet = new RawPacket(MqttPackets.PUBLISH, 0x02, Arrays.copyOfRange(bytes, 2, bytes.length));

        ReceivedProperties properties = ReceivedProperties.ofPublish(packet);

        assertEquals(List.of(200L, 1L), properties.subscriptionIdentifiers());
        assertEquals(List.of("b=2", "a=1"), properties.userProperties());
        assertEquals(0xFFFF_FFFEL, properties.integer(Mqtt5Properties.MESSAGE_EXPIRY_INTERVAL));
        assertEquals("body", new String(ReceivedProperties.publishPayload(packet), StandardCharsets.UTF_8));
    }

    @Test
    void wireSizeCountsFixedHeader() {
        byte[] bytes = Mqtt5Packets.publish("t", "x".repeat(200), 0, 0, false, Mqtt5Properties.none());
        RawPacket packet = new RawPacket(MqttPackets.PUBLISH, 0, Arrays.copyOfRange(bytes, 3, bytes.length));

        assertEquals(bytes.length, Mqtt5Packets.wireSize(packet));
    }

    /**
     * Decodes an MQTT 5.0 CONNECT followed by {@code bytes}, so that the decoder uses the 5.0 layout,
     * and passes the second packet to {@code check} before releasing it.
     */
    private static void decodeAfterConnect(byte[] bytes, Consumer<MqttMessage> check) {
        EmbeddedChannel channel = new EmbeddedChannel(new MqttDecoder());
        channel.writeInbound(Unpooled.wrappedBuffer(Mqtt5Packets.connect("decoder").toBytes(), bytes));
        MqttMessage connect = channel.readInbound();
        MqttMessage message = channel.readInbound();
        try {
            assertTrue(connect.decoderResult().isSuccess(), () -> "decoding failed: " + connect.decoderResult());
            assertNotNull(message, "the decoder produced no second packet");
            assertTrue(message.decoderResult().isSuccess(), () -> "decoding failed: " + message.decoderResult());
            check.accept(message);
        } finally {
            ReferenceCountUtil.release(message);
            channel.finishAndReleaseAll();
        }
    }
}
