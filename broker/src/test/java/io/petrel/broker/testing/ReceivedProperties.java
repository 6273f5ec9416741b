package io.petrel.broker.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The MQTT 5.0 property list of a packet the broker sent, decoded in wire order so that tests can
 * check order and repetition (user properties, subscription identifiers) as well as presence.
 *
 * <p>Integers decode to {@code Long}, strings to {@code String}, binary data to {@code byte[]} and
 * user properties to {@code String[] {name, value}}. Immutable.
 */
public final class ReceivedProperties {

    /** One property as received. */
    public record Property(int id, Object value) {
    }

    private final List<Property> properties;

    private ReceivedProperties(List<Property> properties) {
        this.properties = List.copyOf(properties);
    }

    /** Decodes the properties of an MQTT 5.0 PUBLISH. */
    public static ReceivedProperties ofPublish(RawPacket publish) {
        requireType(publish, MqttPackets.PUBLISH);
        return decode(publish.body(), publishPropertiesOffset(publish)).properties;
    }

    /** Returns the payload of an MQTT 5.0 PUBLISH, after its property list. */
    public static byte[] publishPayload(RawPacket publish) {
        requireType(publish, MqttPackets.PUBLISH);
        int end = decode(publish.body(), publishPropertiesOffset(publish)).end;
        return Arrays.copyOfRange(publish.body(), end, publish.body().length);
    }

    /** Decodes the properties of an MQTT 5.0 CONNACK. */
    public static ReceivedProperties ofConnack(RawPacket connack) {
        requireType(connack, MqttPackets.CONNACK);
        return decode(connack.body(), 2).properties;
    }

    /**
     * Decodes the properties of a PUBACK, PUBREC, PUBREL or PUBCOMP; empty when the packet ends after
     * the reason code, as the specification allows.
     */
    public static ReceivedProperties ofAcknowledgement(RawPacket acknowledgement) {
        return decode(acknowledgement.body(), 3).properties;
    }

    /** Decodes the properties of an MQTT 5.0 SUBACK or UNSUBACK. */
    public static ReceivedProperties ofSuback(RawPacket suback) {
        return decode(suback.body(), 2).properties;
    }

    /** Decodes the properties of an MQTT 5.0 DISCONNECT; empty when the packet has no property list. */
    public static ReceivedProperties ofDisconnect(RawPacket disconnect) {
        requireType(disconnect, MqttPackets.DISCONNECT);
        return decode(disconnect.body(), 1).properties;
    }

    /** Returns every property in wire order. */
    public List<Property> all() {
        return properties;
    }

    /** Returns true if at least one property has identifier {@code id}. */
    public boolean contains(int id) {
        return properties.stream().anyMatch(property -> property.id() == id);
    }

    /** Returns the values of every property with identifier {@code id}, in wire order. */
    public List<Object> values(int id) {
        List<Object> values = new ArrayList<>();
        for (Property property : properties) {
            if (property.id() == id) {
                values.add(property.value());
            }
        }
        return values;
    }

    /**
     * Returns the integer value of the single property {@code id}.
     *
     * @throws AssertionError if the property is missing or repeated
     */
    public long integer(int id) {
        return (Long) single(id);
    }

    /**
     * Returns the string value of the single property {@code id}.
     *
     * @throws AssertionError if the property is missing or repeated
     */
    public String string(int id) {
        return (String) single(id);
    }

    /**
     * Returns the binary value of the single property {@code id}.
     *
     * @throws AssertionError if the property is missing or repeated
     */
    public byte[] binary(int id) {
        return (byte[]) single(id);
    }

    /** Returns the subscription identifiers in wire order. */
    public List<Long> subscriptionIdentifiers() {
        List<Long> ids = new ArrayList<>();
        for (Object value : values(Mqtt5Properties.SUBSCRIPTION_IDENTIFIER)) {
            ids.add((Long) value);
        }
        return ids;
    }

    /** Returns the user properties as {@code name=value} strings in wire order. */
    public List<String> userProperties() {
        List<String> pairs = new ArrayList<>();
        for (Object value : values(Mqtt5Properties.USER_PROPERTY)) {
            String[] pair = (String[]) value;
            pairs.add(pair[0] + '=' + pair[1]);
        }
        return pairs;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("[");
        for (Property property : properties) {
            if (text.length() > 1) {
                text.append(", ");
            }
            text.append("0x").append(Integer.toHexString(property.id())).append('=').append(render(property.value()));
        }
        return text.append(']').toString();
    }

    private static String render(Object value) {
        if (value instanceof byte[] bytes) {
            return Arrays.toString(bytes);
        }
        if (value instanceof String[] pair) {
            return pair[0] + '=' + pair[1];
        }
        return String.valueOf(value);
    }

    private Object single(int id) {
        List<Object> values = values(id);
        if (values.size() != 1) {
            throw new AssertionError("expected one property 0x" + Integer.toHexString(id) + ", found "
                    + values.size() + " in " + this);
        }
        return values.get(0);
    }

    private static void requireType(RawPacket packet, int type) {
        if (packet.type() != type) {
            throw new AssertionError("expected packet type " + type + ", got " + packet);
        }
    }

    private static int publishPropertiesOffset(RawPacket publish) {
        byte[] body = publish.body();
        int topicLength = (body[0] & 0xFF) << 8 | body[1] & 0xFF;
        return 2 + topicLength + (publish.qos() > 0 ? 2 : 0);
    }

    private record Decoded(ReceivedProperties properties, int end) {
    }

    private static Decoded decode(byte[] body, int offset) {
        if (body.length <= offset) {
            return new Decoded(new ReceivedProperties(List.of()), body.length);
        }
        Reader reader = new Reader(body, offset);
        int length = reader.varInt();
        int end = reader.position + length;
        List<Property> decoded = new ArrayList<>();
        while (reader.position < end) {
            int id = reader.varInt();
            Object value = switch (id) {
                case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A -> (long) reader.u8();
                case 0x13, 0x21, 0x22, 0x23 -> (long) reader.u16();
                case 0x02, 0x11, 0x18, 0x27 -> reader.u32();
                case 0x0B -> (long) reader.varInt();
                case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F -> reader.utf8();
                case 0x09, 0x16 -> reader.binary();
                case 0x26 -> new String[] {reader.utf8(), reader.utf8()};
                default -> throw new AssertionError("unknown MQTT 5.0 property identifier 0x"
                        + Integer.toHexString(id) + " at offset " + (reader.position - 1));
            };
            decoded.add(new Property(id, value));
        }
        if (reader.position != end) {
            throw new AssertionError("property list overruns its length " + length);
        }
        return new Decoded(new ReceivedProperties(decoded), end);
    }

    /** Reads big-endian integers, variable byte integers and length-prefixed fields from a body. */
    private static final class Reader {

        private final byte[] body;
        private int position;

        Reader(byte[] body, int position) {
            this.body = body;
            this.position = position;
        }

        int u8() {
            return body[position++] & 0xFF;
        }

        int u16() {
            return u8() << 8 | u8();
        }

        long u32() {
            return (long) u16() << 16 | u16();
        }

        int varInt() {
            int value = 0;
            int shift = 0;
            int digit;
            do {
                digit = u8();
                value |= (digit & 0x7F) << shift;
                shift += 7;
            } while ((digit & 0x80) != 0);
            return value;
        }

        byte[] binary() {
            int length = u16();
            byte[] value = Arrays.copyOfRange(body, position, position + length);
            position += length;
            return value;
        }

        String utf8() {
            return new String(binary(), StandardCharsets.UTF_8);
        }
    }
}
