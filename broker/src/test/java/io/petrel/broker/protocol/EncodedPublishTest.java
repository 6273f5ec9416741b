package io.petrel.broker.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.petrel.api.Message;
import io.petrel.api.Qos;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The bytes and buffer references that {@link EncodedPublish#write} leaves on a channel. */
class EncodedPublishTest {

    private static final Message MESSAGE = Message.builder("sensors/7/temperature")
            .payload("21.5")
            .qos(Qos.AT_LEAST_ONCE)
            .build();

    private EmbeddedChannel channel;
    private ChannelHandlerContext ctx;

    @BeforeEach
    void openChannel() {
        channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext context) {
                ctx = context;
            }
        });
    }

    @AfterEach
    void closeChannel() {
        channel.finishAndReleaseAll();
    }

    @Test
    void soleUserGetsOwnPacketWithPacketId() {
        EncodedPublish publish = new EncodedPublish(MESSAGE);

        publish.write(ctx, false, 1, false, 300);
        List<ByteBuf> written = outbound();

        assertEquals(1, written.size());
        assertArrayEquals(expected(false, 1, 300), bytesOf(written));
        publish.releaseUser();
        assertEquals(1, written.get(0).refCnt());
        release(written);
    }

    @Test
    void sharedUsersGetSameBytes() {
        EncodedPublish publish = new EncodedPublish(MESSAGE);
        publish.retainUser();

        publish.write(ctx, true, 1, false, 9);
        byte[] first = bytesOf(outboundReleased());
        publish.write(ctx, true, 1, false, 10);
        byte[] second = bytesOf(outboundReleased());

        assertArrayEquals(expected(true, 1, 9), first);
        assertArrayEquals(expected(true, 1, 10), second);
        publish.releaseUser();
        publish.releaseUser();
    }

    @Test
    void lastUserReusesSharedForm() {
        EncodedPublish publish = new EncodedPublish(MESSAGE);
        publish.retainUser();
        publish.write(ctx, false, 1, false, 9);
        release(outbound());
        publish.releaseUser();

        publish.write(ctx, false, 1, false, 10);
        List<ByteBuf> written = outbound();

        assertEquals(3, written.size());
        assertArrayEquals(expected(false, 1, 10), bytesOf(written));
        release(written);
        publish.releaseUser();
    }

    @Test
    void soleUserAtQos0GetsWholePacket() {
        EncodedPublish publish = new EncodedPublish(MESSAGE);

        publish.write(ctx, true, 0, true, 0);
        List<ByteBuf> written = outbound();

        assertArrayEquals(expected(true, 0, 0), bytesOf(written));
        publish.releaseUser();
        release(written);
    }

    @Test
    void lastUserFreesSharedEncoding() {
        EncodedPublish publish = new EncodedPublish(MESSAGE);
        publish.retainUser();

        publish.write(ctx, false, 0, false, 0);
        List<ByteBuf> written = outbound();
        release(written);
        publish.releaseUser();
        publish.releaseUser();

        assertEquals(0, written.get(0).refCnt());
    }

    private static byte[] expected(boolean mqtt5, int qos, int packetId) {
        ByteBuf encoded = PublishEncoder.encode(ByteBufAllocator.DEFAULT, MESSAGE, mqtt5, qos, qos == 0, false, packetId);
        try {
            return ByteBufUtil.getBytes(encoded);
        } finally {
            encoded.release();
        }
    }

    private List<ByteBuf> outbound() {
        channel.flush();
        List<ByteBuf> buffers = new ArrayList<>();
        ByteBuf buffer;
        while ((buffer = channel.readOutbound()) != null) {
            buffers.add(buffer);
        }
        assertFalse(buffers.isEmpty());
        return buffers;
    }

    private List<ByteBuf> outboundReleased() {
        List<ByteBuf> buffers = outbound();
        List<ByteBuf> copies = new ArrayList<>();
        for (ByteBuf buffer : buffers) {
            copies.add(Unpooled.copiedBuffer(buffer));
        }
        release(buffers);
        return copies;
    }

    private static byte[] bytesOf(List<ByteBuf> buffers) {
        return ByteBufUtil.getBytes(Unpooled.wrappedBuffer(buffers.stream()
                .map(ByteBuf::duplicate).toArray(ByteBuf[]::new)));
    }

    private static void release(List<ByteBuf> buffers) {
        buffers.forEach(ByteBuf::release);
    }
}
