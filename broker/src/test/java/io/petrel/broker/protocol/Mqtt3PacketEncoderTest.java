package io.petrel.broker.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.util.AttributeKey;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Mqtt3PacketEncoder} against netty-codec-mqtt's encoder in its default MQTT 3.1.1 mode. */
class Mqtt3PacketEncoderTest {

    @Test
    void controlPacketsMatchNettyEncoder() {
        List<MqttMessage> packets = List.of(
                Packets.connAck(MqttConnectReturnCode.CONNECTION_ACCEPTED, true, MqttProperties.NO_PROPERTIES),
                Packets.connAck(MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED, false,
                        MqttProperties.NO_PROPERTIES),
                Packets.pubAck(1, Packets.SUCCESS),
                Packets.pubRec(65_535, Packets.SUCCESS),
                Packets.pubRel(300, Packets.SUCCESS),
                Packets.pubComp(7, Packets.PACKET_ID_NOT_FOUND),
                Packets.subAck(9, new int[] {0, 1, 2, Packets.SUBACK_FAILURE}, MqttProperties.NO_PROPERTIES),
                Packets.subAck(10, new int[200], MqttProperties.NO_PROPERTIES),
                Packets.unsubAck(11, new short[] {0, 0}, MqttProperties.NO_PROPERTIES),
                Packets.pingResp());

        for (MqttMessage packet : packets) {
            ByteBuf ours = Mqtt3PacketEncoder.encode(ByteBufAllocator.DEFAULT, packet);
            byte[] expected = nettyEncoding(packet);

            assertArrayEquals(expected, ByteBufUtil.getBytes(ours), packet.fixedHeader().messageType().name());
            ours.release();
        }
    }

    @Test
    void directPubAckMatchesNettyEncoder() {
        for (int packetId : new int[] {1, 300, 65_535}) {
            ByteBuf ours = Mqtt3PacketEncoder.pubAck(ByteBufAllocator.DEFAULT, packetId);

            assertArrayEquals(nettyEncoding(Packets.pubAck(packetId, Packets.SUCCESS)), ByteBufUtil.getBytes(ours),
                    "packet identifier " + packetId);
            ours.release();
        }
    }

    @Test
    void acceptedConnAckMatchesNettyEncoder() {
        for (boolean sessionPresent : new boolean[] {true, false}) {
            ByteBuf ours = Mqtt3PacketEncoder.connAck(ByteBufAllocator.DEFAULT, sessionPresent,
                    MqttConnectReturnCode.CONNECTION_ACCEPTED.byteValue());
            byte[] expected = nettyEncoding(Packets.connAck(MqttConnectReturnCode.CONNECTION_ACCEPTED, sessionPresent,
                    MqttProperties.NO_PROPERTIES));

            assertArrayEquals(expected, ByteBufUtil.getBytes(ours), "session present " + sessionPresent);
            ours.release();
        }
    }

    @Test
    void disconnectLeftToNettyEncoder() {
        assertNull(Mqtt3PacketEncoder.encode(ByteBufAllocator.DEFAULT,
                Packets.disconnect((byte) 0, MqttProperties.NO_PROPERTIES)));
    }

    @Test
    void packetWriterAddsNoAttributeForMqtt3() {
        ChannelHandlerContext[] context = new ChannelHandlerContext[1];
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                context[0] = ctx;
            }
        });

        PacketWriter.writeAndFlush(context[0], Packets.pubAck(5, Packets.SUCCESS));

        ByteBuf written = channel.readOutbound();
        assertArrayEquals(new byte[] {0x40, 0x02, 0x00, 0x05}, ByteBufUtil.getBytes(written));
        assertFalse(channel.hasAttr(AttributeKey.valueOf("NETTY_CODEC_MQTT_VERSION")));
        written.release();
        channel.finishAndReleaseAll();
    }

    @Test
    void directPubAckLeftOutForMqtt5() {
        ChannelHandlerContext[] context = new ChannelHandlerContext[1];
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                context[0] = ctx;
            }
        });
        PacketWriter.useMqtt5(channel);

        boolean written = PacketWriter.writeMqtt3PubAck(context[0], 5);
        channel.flush();

        assertFalse(written);
        assertNull(channel.readOutbound());
        channel.finishAndReleaseAll();
    }

    private static byte[] nettyEncoding(MqttMessage packet) {
        EmbeddedChannel channel = new EmbeddedChannel(MqttEncoder.INSTANCE);
        channel.writeOutbound(packet);
        ByteBuf encoded = channel.readOutbound();
        byte[] bytes = ByteBufUtil.getBytes(encoded);
        encoded.release();
        channel.finishAndReleaseAll();
        return bytes;
    }
}
