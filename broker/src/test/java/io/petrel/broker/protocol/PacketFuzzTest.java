package io.petrel.broker.protocol;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.util.ReferenceCountUtil;
import io.petrel.broker.testing.BrokerExtension;
import io.petrel.broker.testing.ConnectPacket;
import io.petrel.broker.testing.Mqtt5Packets;
import io.petrel.broker.testing.Mqtt5Properties;
import io.petrel.broker.testing.MqttPackets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Random mutations of valid MQTT 3.1, 3.1.1 and 5.0 packets, with a fixed seed so that a failure
 * repeats. The decoder must turn every input into packets or a failed decoder result, never throw,
 * and release every buffer (the leak detector runs at PARANOID in tests). Over sockets the broker
 * must close or keep serving each mutated connection and still serve a normal client.
 *
 * <p>The counts are small so that the suite stays fast. A longer run:
 * {@code ./mvnw -o test -pl broker -Dtest=PacketFuzzTest -Dpetrel.fuzz.cases=20000 -Dpetrel.fuzz.socketCases=3000}.
 */
class PacketFuzzTest {

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.create();

    private static final long SEED = 0x5EED_2026L;
    private static final int DECODER_CASES = Integer.getInteger("petrel.fuzz.cases", 3_000);
    private static final int SOCKET_CASES = Integer.getInteger("petrel.fuzz.socketCases", 150);
    private static final int MAX_PACKET_SIZE = 4_096;
    private static final int SOCKET_TIMEOUT_MILLIS = 3_000;
    private static final int HEALTH_CHECK_EVERY = 50;

    private record Seed(int protocolLevel, byte[] connect, List<byte[]> packets) {
    }

    @Test
    void decoderSurvivesMutatedPackets() {
        Random random = new Random(SEED);
        List<Seed> seeds = seeds();
        for (int round = 0; round < DECODER_CASES; round++) {
            Seed seed = seeds.get(random.nextInt(seeds.size()));
            byte[] input = mutate(random, session(seed, random));
            try {
                decodeInChunks(random, input, seed.protocolLevel());
            } catch (RuntimeException e) {
                fail("round " + round + ", protocol level " + seed.protocolLevel() + ", input "
                        + HexFormat.of().formatHex(input), e);
            }
        }
    }

    @Test
    void brokerSurvivesMutatedConnections() {
        Random random = new Random(SEED + 1);
        List<Seed> seeds = seeds();
        for (int round = 0; round < SOCKET_CASES; round++) {
            Seed seed = seeds.get(random.nextInt(seeds.size()));
            byte[] input = session(seed, random);
            // Leave the CONNECT intact in most rounds, so that the packets after it are reached.
            boolean keepConnect = random.nextInt(4) != 0;
            byte[] mutated = keepConnect ? concat(seed.connect(), mutate(random, withoutConnect(input, seed)))
                    : mutate(random, input);
            sendAndAwaitClose(mutated, round);
            if (round % HEALTH_CHECK_EVERY == HEALTH_CHECK_EVERY - 1) {
                BROKER.assertServesNewClient();
            }
        }
        BROKER.assertServesNewClient();
    }

    /** Feeds {@code input} to the decoder in random pieces, as the connection handler does. */
    private static void decodeInChunks(Random random, byte[] input, int protocolLevel) {
        PooledByteBufAllocator allocator = PooledByteBufAllocator.DEFAULT;
        ByteBuf partial = null;
        int offset = 0;
        boolean failed = false;
        while (offset < input.length && !failed) {
            int length = 1 + random.nextInt(input.length - offset);
            ByteBuf received = allocator.buffer(length).writeBytes(input, offset, length);
            offset += length;
            ByteBuf buffer = partial == null ? received : PacketDecoder.append(allocator, partial, received);
            partial = null;
            try {
                PublishPacket publish = new PublishPacket();
                Object packet;
                while (!failed && (packet = PacketDecoder.decode(buffer, MAX_PACKET_SIZE, protocolLevel, publish))
                        != null) {
                    if (!(packet instanceof MqttMessage message)) {
                        continue;
                    }
                    failed = message.decoderResult().isFailure();
                    assertTrue(!failed || message.decoderResult().cause() instanceof InvalidPacketException,
                            String.valueOf(message.decoderResult().cause()));
                    ReferenceCountUtil.release(message);
                }
            } finally {
                if (buffer.isReadable() && !failed) {
                    partial = buffer;
                } else {
                    buffer.release();
                }
            }
        }
        if (partial != null) {
            partial.release();
        }
    }

    private static void sendAndAwaitClose(byte[] bytes, int round) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), BROKER.port())) {
            socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(bytes);
                out.flush();
                // The broker closes a connection at the end of its input, so every round ends.
                socket.shutdownOutput();
            } catch (SocketException e) {
                // The broker closed the connection before it read everything: a valid outcome.
                return;
            }
            InputStream in = socket.getInputStream();
            byte[] sink = new byte[1_024];
            try {
                while (in.read(sink) >= 0) {
                    // Replies are not checked here; the other tests check them case by case.
                }
            } catch (SocketTimeoutException e) {
                fail("round " + round + ": connection still open " + SOCKET_TIMEOUT_MILLIS
                        + " ms after the end of its input " + HexFormat.of().formatHex(bytes));
            } catch (SocketException e) {
                // A reset is a close too.
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns the seed's CONNECT followed by a random selection of its other packets. */
    private static byte[] session(Seed seed, Random random) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(seed.connect());
        int count = 1 + random.nextInt(3);
        for (int i = 0; i < count; i++) {
            bytes.writeBytes(seed.packets().get(random.nextInt(seed.packets().size())));
        }
        return bytes.toByteArray();
    }

    private static byte[] withoutConnect(byte[] session, Seed seed) {
        byte[] rest = new byte[session.length - seed.connect().length];
        System.arraycopy(session, seed.connect().length, rest, 0, rest.length);
        return rest;
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] joined = new byte[first.length + second.length];
        System.arraycopy(first, 0, joined, 0, first.length);
        System.arraycopy(second, 0, joined, first.length, second.length);
        return joined;
    }

    /** Applies one to three random edits: a byte replaced, a bit flipped, a byte inserted or removed, a cut. */
    private static byte[] mutate(Random random, byte[] input) {
        byte[] bytes = input;
        int edits = 1 + random.nextInt(3);
        for (int edit = 0; edit < edits && bytes.length > 0; edit++) {
            int position = random.nextInt(bytes.length);
            switch (random.nextInt(6)) {
                case 0 -> bytes[position] = (byte) random.nextInt(256);
                case 1 -> bytes[position] ^= (byte) (1 << random.nextInt(8));
                case 2 -> bytes = insert(bytes, position, (byte) random.nextInt(256));
                case 3 -> bytes = remove(bytes, position);
                case 4 -> bytes = Arrays.copyOf(bytes, position);
                default -> bytes[position] = (byte) (random.nextBoolean() ? 0x00 : 0xFF);
            }
        }
        return bytes;
    }

    private static byte[] insert(byte[] bytes, int position, byte value) {
        byte[] longer = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, longer, 0, position);
        longer[position] = value;
        System.arraycopy(bytes, position, longer, position + 1, bytes.length - position);
        return longer;
    }

    private static byte[] remove(byte[] bytes, int position) {
        byte[] shorter = new byte[bytes.length - 1];
        System.arraycopy(bytes, 0, shorter, 0, position);
        System.arraycopy(bytes, position + 1, shorter, position, bytes.length - position - 1);
        return shorter;
    }

    private static List<Seed> seeds() {
        List<byte[]> mqtt3 = List.of(
                MqttPackets.publish(MqttPackets.MQTT_3_1_1, "fuzz/a", "payload", 0, 0),
                MqttPackets.publish(MqttPackets.MQTT_3_1_1, "fuzz/b", "payload", 1, 11),
                MqttPackets.publish(MqttPackets.MQTT_3_1_1, "fuzz/ü", "payload", 2, 12),
                MqttPackets.subscribe(MqttPackets.MQTT_3_1_1, 13, 1, "fuzz/#", "fuzz/+/x"),
                MqttPackets.unsubscribe(MqttPackets.MQTT_3_1_1, 14, "fuzz/#"),
                MqttPackets.puback(15), MqttPackets.pubrec(16), MqttPackets.pubrel(17), MqttPackets.pubcomp(18),
                MqttPackets.pingreq(), MqttPackets.disconnect());
        Mqtt5Properties publishProperties = Mqtt5Properties.create()
                .byteProperty(Mqtt5Properties.PAYLOAD_FORMAT_INDICATOR, 1)
                .fourByteProperty(Mqtt5Properties.MESSAGE_EXPIRY_INTERVAL, 60)
                .stringProperty(Mqtt5Properties.CONTENT_TYPE, "text/plain")
                .stringProperty(Mqtt5Properties.RESPONSE_TOPIC, "fuzz/reply")
                .twoByteProperty(Mqtt5Properties.TOPIC_ALIAS, 1)
                .userProperty("k", "v");
        List<byte[]> mqtt5 = List.of(
                Mqtt5Packets.publish("fuzz/a", "payload", 0, 0, false, publishProperties),
                Mqtt5Packets.publish("fuzz/b", "payload", 1, 21, true, Mqtt5Properties.none()),
                Mqtt5Packets.publish("", "payload", 2, 22, false,
                        Mqtt5Properties.create().twoByteProperty(Mqtt5Properties.TOPIC_ALIAS, 1)),
                Mqtt5Packets.subscribe(23, Mqtt5Properties.create()
                        .varIntProperty(Mqtt5Properties.SUBSCRIPTION_IDENTIFIER, 300).userProperty("a", "b"),
                        "fuzz/#", Mqtt5Packets.NO_LOCAL | Mqtt5Packets.RETAIN_HANDLING_IF_NEW | 1),
                Mqtt5Packets.unsubscribe(24, "fuzz/#"),
                Mqtt5Packets.acknowledgement(MqttPackets.PUBACK << 4, 25, 0x10),
                Mqtt5Packets.acknowledgement((MqttPackets.PUBREL << 4) | 0x02, 26, 0x00),
                MqttPackets.pingreq(),
                Mqtt5Packets.disconnect(0x04, Mqtt5Properties.create()
                        .fourByteProperty(Mqtt5Properties.SESSION_EXPIRY_INTERVAL, 0)),
                Mqtt5Packets.auth(0x18, Mqtt5Properties.create()
                        .stringProperty(Mqtt5Properties.AUTHENTICATION_METHOD, "none")));
        byte[] connect5 = Mqtt5Packets.connect("fuzz5")
                .properties(Mqtt5Properties.create()
                        .twoByteProperty(Mqtt5Properties.RECEIVE_MAXIMUM, 10)
                        .fourByteProperty(Mqtt5Properties.MAXIMUM_PACKET_SIZE, 100_000)
                        .twoByteProperty(Mqtt5Properties.TOPIC_ALIAS_MAXIMUM, 5)
                        .userProperty("client", "fuzz"))
                .will("fuzz/will", "gone", 1, false, Mqtt5Properties.create()
                        .fourByteProperty(Mqtt5Properties.WILL_DELAY_INTERVAL, 0))
                .toBytes();
        return List.of(
                new Seed(4, ConnectPacket.mqtt311("fuzz311").username("user").password("secret")
                        .will("fuzz/will", "gone", 1, false).toBytes(), mqtt3),
                new Seed(3, ConnectPacket.mqtt31("fuzz31").toBytes(), mqtt3),
                new Seed(5, connect5, mqtt5));
    }
}
