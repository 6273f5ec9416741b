package io.petrel.broker.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.petrel.api.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

class PublishEncoderTest {

    private static final List<ByteBufAllocator> ALLOCATORS = List.of(ByteBufAllocator.DEFAULT,
            new PooledByteBufAllocator(false), UnpooledByteBufAllocator.DEFAULT);

    @Test
    void payloadEndsPacketForEverySize() {
        int[] sizes = {0, 1, 7, 8, 9, 15, 16, 64, 1023, 1024, 1025, 5000};
        for (ByteBufAllocator allocator : ALLOCATORS) {
            for (int size : sizes) {
                byte[] payload = pattern(size);
                Message message = Message.builder("t/p").payload(payload).build();

                ByteBuf packet = PublishEncoder.encode(allocator, message, false, 1, false, false, 5);
                try {
                    int headerBytes = packet.readableBytes() - size;
                    byte[] tail = new byte[size];
                    packet.getBytes(headerBytes, tail);

                    assertArrayEquals(payload, tail, "payload of " + size + " bytes with " + allocator);
                    int remaining = 2 + "t/p".length() + 2 + size;
                    assertEquals(1 + PublishEncoder.variableIntLength(remaining) + remaining, packet.readableBytes(),
                            "packet length for " + size + " bytes");
                } finally {
                    packet.release();
                }
            }
        }
    }

    @Test
    void payloadViewOfMessageStaysAtStart() {
        Message message = Message.builder("t/p").payload(pattern(20)).build();

        ByteBuf packet = PublishEncoder.encode(ByteBufAllocator.DEFAULT, message, true, 0, false, false, 0);
        packet.release();

        assertEquals(20, message.payload().remaining());
    }

    private static byte[] pattern(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        return bytes;
    }
}
