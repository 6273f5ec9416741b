package io.petrel.broker.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Encodes MQTT 5.0 packets with arbitrary property lists, which {@link MqttPackets} and
 * {@link ConnectPacket} leave empty: CONNECT with connect and will properties, PUBLISH with topic
 * aliases and message properties, SUBSCRIBE with subscription options and identifiers, DISCONNECT
 * with a reason code and properties, and AUTH.
 */
public final class Mqtt5Packets {

    /** Subscription option bit: do not forward messages published by this client. */
    public static final int NO_LOCAL = 0x04;
    /** Subscription option bit: keep the retain flag of forwarded messages. */
    public static final int RETAIN_AS_PUBLISHED = 0x08;
    /** Retain Handling 1 in the subscription options: send retained messages for a new subscription only. */
    public static final int RETAIN_HANDLING_IF_NEW = 0x10;
    /** Retain Handling 2 in the subscription options: never send retained messages. */
    public static final int RETAIN_HANDLING_NEVER = 0x20;

    /** The AUTH packet type, which exists only in MQTT 5.0. */
    public static final int AUTH = 15;

    private Mqtt5Packets() {
    }

    /** Starts an MQTT 5.0 CONNECT with clean start 1, a 60 s keepalive and no properties. */
    public static Connect connect(String clientId) {
        return new Connect(clientId);
    }

    /** Opens a connection, sends {@code connect} and returns the client once the broker accepted it. */
    public static RawMqttClient connect(int port, Connect connect) {
        RawMqttClient client = RawMqttClient.open(port);
        client.send(connect.toBytes());
        RawPacket connack = client.receive();
        if (!connack.isSuccessfulConnack()) {
            client.close();
            throw new AssertionError("expected a successful CONNACK, got " + connack);
        }
        return client;
    }

    /** Encodes a PUBLISH with a text payload. The {@code packetId} is left out at QoS 0. */
    public static byte[] publish(String topic, String payload, int qos, int packetId, boolean retain,
            Mqtt5Properties properties) {
        return publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos, packetId, retain, properties);
    }

    /** Encodes a PUBLISH with raw payload bytes, which may be invalid UTF-8. */
    public static byte[] publish(String topic, byte[] payload, int qos, int packetId, boolean retain,
            Mqtt5Properties properties) {
        MqttPackets.Writer body = new MqttPackets.Writer();
        body.utf8(topic);
        if (qos > 0) {
            body.u16(packetId);
        }
        body.bytes(properties.toBytes());
        body.bytes(payload);
        int firstByte = MqttPackets.PUBLISH << 4 | qos << 1 | (retain ? 0x01 : 0);
        return MqttPackets.packet(firstByte, body.toBytes());
    }

    /**
     * Encodes a SUBSCRIBE of one filter.
     *
     * @param options the subscription options byte: the maximum QoS in bits 0 and 1, plus
     *                {@link #NO_LOCAL}, {@link #RETAIN_AS_PUBLISHED} and a Retain Handling value
     */
    public static byte[] subscribe(int packetId, Mqtt5Properties properties, String filter, int options) {
        MqttPackets.Writer body = new MqttPackets.Writer();
        body.u16(packetId);
        body.bytes(properties.toBytes());
        body.utf8(filter);
        body.u8(options);
        return MqttPackets.packet(MqttPackets.SUBSCRIBE << 4 | 0x02, body.toBytes());
    }

    /** Encodes a SUBSCRIBE of several filters, all with the same options byte. */
    public static byte[] subscribe(int packetId, Mqtt5Properties properties, List<String> filters, int options) {
        MqttPackets.Writer body = new MqttPackets.Writer();
        body.u16(packetId);
        body.bytes(properties.toBytes());
        for (String filter : filters) {
            body.utf8(filter);
            body.u8(options);
        }
        return MqttPackets.packet(MqttPackets.SUBSCRIBE << 4 | 0x02, body.toBytes());
    }

    /** Encodes an UNSUBSCRIBE of one filter with an empty property list. */
    public static byte[] unsubscribe(int packetId, String filter) {
        return MqttPackets.unsubscribe(MqttPackets.MQTT_5, packetId, filter);
    }

    /** Encodes a DISCONNECT with a reason code and properties. */
    public static byte[] disconnect(int reasonCode, Mqtt5Properties properties) {
        MqttPackets.Writer body = new MqttPackets.Writer();
        body.u8(reasonCode);
        body.bytes(properties.toBytes());
        return MqttPackets.packet(MqttPackets.DISCONNECT << 4, body.toBytes());
    }

    /** Encodes an AUTH packet with a reason code and properties. */
    public static byte[] auth(int reasonCode, Mqtt5Properties properties) {
        MqttPackets.Writer body = new MqttPackets.Writer();
        body.u8(reasonCode);
        body.bytes(properties.toBytes());
        return MqttPackets.packet(AUTH << 4, body.toBytes());
    }

    /** Encodes a PUBACK, PUBREC, PUBREL or PUBCOMP with a reason code and no properties. */
    public static byte[] acknowledgement(int firstByte, int packetId, int reasonCode) {
        return MqttPackets.packet(firstByte, new byte[] {(byte) (packetId >> 8), (byte) packetId, (byte) reasonCode});
    }

    /**
     * Sends a SUBSCRIBE of one filter and returns the SUBACK, skipping other packets that arrive
     * first.
     */
    public static RawPacket subscribeAndAwait(RawMqttClient client, int packetId, Mqtt5Properties properties,
            String filter, int options) {
        client.send(subscribe(packetId, properties, filter, options));
        RawPacket suback = client.receive(MqttPackets.SUBACK);
        if (suback.packetId() != packetId) {
            throw new AssertionError("SUBACK for packet " + suback.packetId() + ", expected " + packetId);
        }
        return suback;
    }

    /**
     * Reads until the broker closes the connection and returns the last packet before the close,
     * which must be a DISCONNECT.
     *
     * @throws AssertionError if the connection stays open for 5 seconds or closes without DISCONNECT
     */
    public static RawPacket awaitDisconnect(RawMqttClient client) {
        List<RawPacket> packets = client.receiveUntilClosed(Duration.ofSeconds(5));
        if (packets.isEmpty() || packets.get(packets.size() - 1).type() != MqttPackets.DISCONNECT) {
            throw new AssertionError("expected DISCONNECT before the broker closed the connection, got " + packets);
        }
        return packets.get(packets.size() - 1);
    }

    /** Returns the size of the whole packet as it was on the wire, fixed header included. */
    public static int wireSize(RawPacket packet) {
        int length = packet.body().length;
        int lengthBytes = 1;
        for (int rest = length >> 7; rest > 0; rest >>= 7) {
            lengthBytes++;
        }
        return 1 + lengthBytes + length;
    }

    /** Builder of an MQTT 5.0 CONNECT packet. Not thread-safe. */
    public static final class Connect {

        private final String clientId;
        private boolean cleanStart = true;
        private int keepAliveSeconds = 60;
        private Mqtt5Properties properties = Mqtt5Properties.none();
        private String willTopic;
        private byte[] willPayload;
        private int willQos;
        private boolean willRetain;
        private Mqtt5Properties willProperties = Mqtt5Properties.none();

        private Connect(String clientId) {
            this.clientId = clientId;
        }

        /** Sets clean start. */
        public Connect cleanStart(boolean clean) {
            this.cleanStart = clean;
            return this;
        }

        /** Sets the keepalive, 0 to 65,535 seconds. */
        public Connect keepAliveSeconds(int seconds) {
            this.keepAliveSeconds = seconds;
            return this;
        }

        /** Sets the CONNECT properties. */
        public Connect properties(Mqtt5Properties connectProperties) {
            this.properties = connectProperties;
            return this;
        }

        /** Adds a will message with will properties such as the Will Delay Interval. */
        public Connect will(String topic, String payload, int qos, boolean retain, Mqtt5Properties willProps) {
            this.willTopic = topic;
            this.willPayload = payload.getBytes(StandardCharsets.UTF_8);
            this.willQos = qos;
            this.willRetain = retain;
            this.willProperties = willProps;
            return this;
        }

        /** Encodes the packet. */
        public byte[] toBytes() {
            MqttPackets.Writer body = new MqttPackets.Writer();
            body.utf8("MQTT");
            body.u8(MqttPackets.MQTT_5);
            int flags = cleanStart ? 0x02 : 0;
            if (willTopic != null) {
                flags |= 0x04 | willQos << 3 | (willRetain ? 0x20 : 0);
            }
            body.u8(flags);
            body.u16(keepAliveSeconds);
            body.bytes(properties.toBytes());
            body.utf8(clientId);
            if (willTopic != null) {
                body.bytes(willProperties.toBytes());
                body.utf8(willTopic);
                body.lengthPrefixed(willPayload);
            }
            return MqttPackets.packet(MqttPackets.CONNECT << 4, body.toBytes());
        }
    }
}
