package io.petrel.broker.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.petrel.api.Message;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class InboundMessagesTest {

    private static final byte[] PACKET_BYTES = "headerpayloadnext".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PAYLOAD = "payload".getBytes(StandardCharsets.US_ASCII);

    @Test
    void payloadCopiedFromEachBufferKind() {
        List<ByteBufAllocator> allocators = List.of(new PooledByteBufAllocator(true), new PooledByteBufAllocator(false),
                UnpooledByteBufAllocator.DEFAULT);
        for (ByteBufAllocator allocator : allocators) {
            ByteBuf buffer = allocator.buffer().writeBytes(PACKET_BYTES);
            buffer.readerIndex(3);

            Message message = InboundMessages.fromPublish(publish(buffer), "a/b");

            assertArrayEquals(PAYLOAD, message.payloadBytes(), "payload from " + allocator);
            assertEquals(3, buffer.readerIndex(), "reader index of " + allocator);
            buffer.release();
        }
    }

    @Test
    void payloadCopiedFromCompositeBuffer() {
        CompositeByteBuf buffer = Unpooled.compositeBuffer();
        buffer.addComponent(true, Unpooled.wrappedBuffer(PACKET_BYTES, 0, 9));
        buffer.addComponent(true, Unpooled.wrappedBuffer(PACKET_BYTES, 9, PACKET_BYTES.length - 9));

        Message message = InboundMessages.fromPublish(publish(buffer), "a/b");

        assertArrayEquals(PAYLOAD, message.payloadBytes());
        buffer.release();
    }

    /** Returns a QoS 1 PUBLISH whose payload is the bytes "payload" from index 6 of {@code buffer}. */
    private static PublishPacket publish(ByteBuf buffer) {
        PublishPacket publish = new PublishPacket();
        publish.set(0b0010, "a/b", 1, MqttProperties.NO_PROPERTIES, buffer, 6, PAYLOAD.length);
        return publish;
    }
}
