package io.petrel.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageTest {

    @Test
    void messageWithoutPropertiesHasEmptyLists() {
        Message message = Message.builder("a/b").build();

        assertTrue(message.userProperties().isEmpty());
        assertTrue(message.subscriptionIdentifiers().isEmpty());
    }

    @Test
    void emptyListsAreUnmodifiable() {
        Message message = Message.builder("a/b").build();

        assertThrows(UnsupportedOperationException.class,
                () -> message.userProperties().add(new UserProperty("k", "v")));
        assertThrows(UnsupportedOperationException.class, () -> message.subscriptionIdentifiers().add(1));
    }

    @Test
    void setListsAreUnmodifiable() {
        Message message = Message.builder("a/b").userProperty("k", "v").subscriptionIdentifiers(List.of(3)).build();

        assertThrows(UnsupportedOperationException.class, () -> message.userProperties().clear());
        assertThrows(UnsupportedOperationException.class, () -> message.subscriptionIdentifiers().clear());
    }

    @Test
    void userPropertiesKeepOrder() {
        Message message = Message.builder("a/b").userProperty("first", "1").userProperty("second", "2").build();

        assertEquals(List.of(new UserProperty("first", "1"), new UserProperty("second", "2")),
                message.userProperties());
    }

    @Test
    void laterBuilderChangesDoNotReachBuiltMessage() {
        Message.Builder builder = Message.builder("a/b").userProperty("first", "1");
        Message message = builder.build();

        builder.userProperty("second", "2").subscriptionIdentifiers(List.of(7));

        assertEquals(List.of(new UserProperty("first", "1")), message.userProperties());
        assertTrue(message.subscriptionIdentifiers().isEmpty());
    }

    @Test
    void replacedUserPropertiesAreCopied() {
        List<UserProperty> properties = new ArrayList<>(List.of(new UserProperty("k", "v")));
        Message message = Message.builder("a/b").userProperties(properties).build();

        properties.add(new UserProperty("late", "x"));

        assertEquals(List.of(new UserProperty("k", "v")), message.userProperties());
    }

    @Test
    void toBuilderKeepsListsAndLeavesOriginalAlone() {
        Message original = Message.builder("a/b").userProperty("k", "v").subscriptionIdentifiers(List.of(4)).build();

        Message changed = original.toBuilder().userProperty("k2", "v2").build();

        assertEquals(List.of(new UserProperty("k", "v"), new UserProperty("k2", "v2")), changed.userProperties());
        assertEquals(List.of(4), changed.subscriptionIdentifiers());
        assertEquals(List.of(new UserProperty("k", "v")), original.userProperties());
    }

    @Test
    void nullUserPropertyIsRejectedAtBuild() {
        List<UserProperty> properties = new ArrayList<>();
        properties.add(null);
        Message.Builder builder = Message.builder("a/b").userProperties(properties);

        assertThrows(NullPointerException.class, builder::build);
    }

    @Test
    void payloadViewCannotBeWrittenThrough() {
        Message message = Message.builder("a/b").payload(new byte[] {1, 2, 3}).build();

        ByteBuffer view = message.payload();

        assertThrows(ReadOnlyBufferException.class, () -> view.put(0, (byte) 9));
        assertTrue(view.isReadOnly());
    }

    @Test
    void payloadViewsAreIndependent() {
        Message message = Message.builder("a/b").payload(new byte[] {1, 2, 3}).build();

        message.payload().get();

        assertEquals(3, message.payload().remaining());
    }

    @Test
    void byteBufferPayloadIsCopiedWithoutMovingSource() {
        ByteBuffer source = ByteBuffer.wrap(new byte[] {0, 1, 2, 3});
        source.position(1);

        Message message = Message.builder("a/b").payload(source).build();
        source.put(1, (byte) 9);

        assertEquals(1, source.position());
        assertArrayEquals(new byte[] {1, 2, 3}, message.payloadBytes());
    }

    @Test
    void directBufferPayloadIsCopied() {
        ByteBuffer source = ByteBuffer.allocateDirect(3).put(new byte[] {5, 6, 7}).flip();

        Message message = Message.builder("a/b").payload(source).build();
        source.put(0, (byte) 0);

        assertArrayEquals(new byte[] {5, 6, 7}, message.payloadBytes());
    }

    @Test
    void arrayPayloadIsCopied() {
        byte[] bytes = {1, 2};

        Message message = Message.builder("a/b").payload(bytes).build();
        bytes[0] = 9;

        assertArrayEquals(new byte[] {1, 2}, message.payloadBytes());
    }
}
