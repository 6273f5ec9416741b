package io.petrel.broker.testing;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An MQTT connection over a plain {@link Socket} to a broker on 127.0.0.1, for sending
 * hand-made packets and reading the broker's replies one packet at a time.
 *
 * <p>Every read has a timeout, so a broker that never replies fails the test instead of hanging
 * it. Used by one test thread at a time.
 */
public final class RawMqttClient implements AutoCloseable {

    /** How long {@link #receive()} waits for a packet. */
    public static final Duration RECEIVE_TIMEOUT = Duration.ofSeconds(5);

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private RawPacket lastConnack;
    private int nextPacketId = 1000;

    private RawMqttClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        this.out = socket.getOutputStream();
    }

    /** Opens a TCP connection to the broker's port on 127.0.0.1 and sends nothing. */
    public static RawMqttClient open(int port) {
        try {
            Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setTcpNoDelay(true);
            return new RawMqttClient(socket);
        } catch (IOException e) {
            throw new UncheckedIOException("failed to connect to 127.0.0.1:" + port, e);
        }
    }

    /**
     * Opens a connection, sends {@code connect} and checks that the broker accepts it.
     *
     * @return the client and the CONNACK, which the caller may check for session present
     */
    public static RawMqttClient connect(int port, ConnectPacket connect) {
        RawMqttClient client = open(port);
        client.send(connect.toBytes());
        RawPacket connack = client.receive();
        if (!connack.isSuccessfulConnack()) {
            client.close();
            throw new AssertionError("expected a successful CONNACK, got " + connack);
        }
        client.lastConnack = connack;
        return client;
    }

    /** Returns the CONNACK received by {@link #connect}, or null for a client made by {@link #open}. */
    public RawPacket connack() {
        return lastConnack;
    }

    /** Writes bytes to the socket and flushes them. */
    public void send(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("failed to send " + bytes.length + " bytes", e);
        }
    }

    /** Reads the next packet, waiting up to {@link #RECEIVE_TIMEOUT}. */
    public RawPacket receive() {
        return receive(RECEIVE_TIMEOUT);
    }

    /**
     * Reads the next packet.
     *
     * @throws AssertionError if no whole packet arrives within {@code timeout} or the broker closes
     *                        the connection first
     */
    public RawPacket receive(Duration timeout) {
        try {
            socket.setSoTimeout(timeoutMillis(timeout));
            return readPacket();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no packet received within " + timeout, e);
        } catch (EOFException | SocketException e) {
            throw new AssertionError("connection closed by the broker while a packet was expected", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads packets until one of {@code type} arrives and returns it, skipping others. */
    public RawPacket receive(int type) {
        long deadline = System.nanoTime() + RECEIVE_TIMEOUT.toNanos();
        List<RawPacket> skipped = new ArrayList<>();
        while (true) {
            Duration left = Duration.ofNanos(deadline - System.nanoTime());
            if (left.isNegative() || left.isZero()) {
                throw new AssertionError("no packet of type " + type + " within " + RECEIVE_TIMEOUT
                        + "; skipped " + skipped);
            }
            RawPacket packet = receive(left);
            if (packet.type() == type) {
                return packet;
            }
            skipped.add(packet);
        }
    }

    /**
     * Waits until the monotonic time {@code untilNanos} (a {@link System#nanoTime()} value) and
     * checks that the broker neither sent a packet nor closed the connection meanwhile.
     *
     * @throws AssertionError if a packet arrives or the connection closes before {@code untilNanos}
     */
    public void expectNothingUntil(long untilNanos) {
        while (true) {
            long leftNanos = untilNanos - System.nanoTime();
            if (leftNanos <= 0) {
                return;
            }
            try {
                socket.setSoTimeout(timeoutMillis(Duration.ofNanos(leftNanos)));
                throw new AssertionError("expected no packet, received " + readPacket());
            } catch (SocketTimeoutException e) {
                // Nothing arrived; the loop ends once the time has passed.
            } catch (EOFException | SocketException e) {
                throw new AssertionError("connection closed by the broker "
                        + Duration.ofNanos(untilNanos - System.nanoTime()) + " before the expected time", e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Reads until the broker closes the connection and returns the packets that came before the close.
     *
     * @throws AssertionError if the connection is still open after {@code timeout}
     */
    public List<RawPacket> receiveUntilClosed(Duration timeout) {
        List<RawPacket> packets = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long leftNanos = deadline - System.nanoTime();
            if (leftNanos <= 0) {
                throw new AssertionError("connection still open after " + timeout + "; received " + packets);
            }
            try {
                socket.setSoTimeout(timeoutMillis(Duration.ofNanos(leftNanos)));
                packets.add(readPacket());
            } catch (SocketTimeoutException e) {
                throw new AssertionError("connection still open after " + timeout + "; received " + packets, e);
            } catch (EOFException | SocketException e) {
                // FIN and RST both mean the broker closed the connection.
                return packets;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Sends SUBSCRIBE for the filters at {@code qos} with the next packet identifier and returns the
     * SUBACK, skipping other packets that arrive first.
     */
    public RawPacket subscribe(int protocolLevel, int qos, String... filters) {
        send(MqttPackets.subscribe(protocolLevel, nextPacketId++, qos, filters));
        return receive(MqttPackets.SUBACK);
    }

    /** Sends PINGREQ and returns true if PINGRESP is the next packet within the receive timeout. */
    public boolean ping() {
        send(MqttPackets.pingreq());
        return receive().type() == MqttPackets.PINGRESP;
    }

    /** Closes the socket without sending DISCONNECT, as a crashed client would. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private RawPacket readPacket() throws IOException {
        int firstByte = in.readUnsignedByte();
        int remainingLength = 0;
        int shift = 0;
        int digit;
        do {
            digit = in.readUnsignedByte();
            remainingLength |= (digit & 0x7F) << shift;
            shift += 7;
        } while ((digit & 0x80) != 0 && shift < 28);
        byte[] body = new byte[remainingLength];
        in.readFully(body);
        return new RawPacket(firstByte >> 4, firstByte & 0x0F, body);
    }

    private static int timeoutMillis(Duration timeout) {
        return (int) Math.max(1, timeout.toMillis());
    }
}
