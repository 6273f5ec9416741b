package io.petrel.broker.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.petrel.broker.routing.StoreWriteException;

import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends the PUBACK and PUBREC packets of one connection in the order the PUBLISH packets arrived
 * [MQTT-4.6.0-2], while some of them wait until a full in-process subscription queue had room. A
 * withheld acknowledgement slows the publisher down within its Receive Maximum instead of dropping
 * its messages.
 *
 * <p>Threads: used only on the connection's event loop; completions from other threads are handed
 * back to it.
 */
final class AckSequencer {

    /**
     * An acknowledgement and whether it may be sent. A stage that completes on another thread sets
     * {@code failure} and then {@code ready}; the event loop reads {@code ready} first.
     */
    private static final class PendingAck {
        private final MqttMessage ack;
        private Throwable failure;
        private volatile boolean ready;

        PendingAck(MqttMessage ack) {
            this.ack = ack;
        }
    }

    private final ChannelHandlerContext ctx;
    private final MqttConnectionHandler connection;
    /** True while a {@link #writeReadyTask} is scheduled and has not started; set from any thread. */
    private final AtomicBoolean writeScheduled = new AtomicBoolean();
    private final Runnable writeReadyTask = () -> {
        writeScheduled.set(false);
        writeReady();
    };
    // Created when the first acknowledgement has to wait, so that most connections never allocate it.
    private ArrayDeque<PendingAck> pending;

    AckSequencer(ChannelHandlerContext ctx, MqttConnectionHandler connection) {
        this.ctx = ctx;
        this.connection = connection;
    }

    /**
     * Writes {@code ack} once {@code queued} completes and every earlier acknowledgement was written.
     * The acknowledgement is written whether the stage succeeds or fails: a delivery that timed out was
     * dropped and counted by the subscription, and the publisher must not resend it forever. Only a
     * failed store write changes the acknowledgement (see {@link #write}).
     */
    void send(MqttMessage ack, CompletionStage<Void> queued) {
        CompletableFuture<Void> future = queued.toCompletableFuture();
        boolean done = future.isDone();
        if (done && (pending == null || pending.isEmpty())) {
            write(ack, failureOf(future));
            return;
        }
        PendingAck entry = new PendingAck(ack);
        if (pending == null) {
            pending = new ArrayDeque<>();
        }
        pending.addLast(entry);
        if (done) {
            entry.failure = failureOf(future);
            entry.ready = true;
            return;
        }
        queued.whenComplete((ignored, error) -> {
            entry.failure = error;
            entry.ready = true;
            // Stages that complete together, such as a batch of journal appends, share one task and one flush.
            if (writeScheduled.compareAndSet(false, true)) {
                ctx.executor().execute(writeReadyTask);
            }
        });
    }

    /**
     * Sends PUBACK like {@link #send}. An MQTT 3 PUBACK that may go out at once is written without a
     * packet object. MQTT 3 has no reason code, so {@code reasonCode} is then unused.
     */
    void sendPubAck(int packetId, byte reasonCode, CompletionStage<Void> queued) {
        CompletableFuture<Void> future = queued.toCompletableFuture();
        boolean succeeded = future.isDone() && !future.isCompletedExceptionally();
        if (succeeded && (pending == null || pending.isEmpty()) && PacketWriter.writeMqtt3PubAck(ctx, packetId)) {
            return;
        }
        send(Packets.pubAck(packetId, reasonCode), queued);
    }

    private static Throwable failureOf(CompletableFuture<Void> future) {
        if (!future.isCompletedExceptionally()) {
            return null;
        }
        try {
            future.join();
            return null;
        } catch (CompletionException | CancellationException e) {
            return e;
        }
    }

    /**
     * Writes an acknowledgement. A store may have failed to write a record the message waits for
     * (see {@link StoreWriteException}). Then an MQTT 5.0 client gets reason 0x97 (quota exceeded)
     * instead of success, and an MQTT 3.1.1 connection is closed, because its acknowledgement cannot
     * carry a failure.
     */
    private void write(MqttMessage ack, Throwable failure) {
        Throwable cause = rootCause(failure);
        if (!(cause instanceof StoreWriteException)) {
            PacketWriter.write(ctx, ack);
            return;
        }
        if (!connection.mqtt5()) {
            connection.reject(ProtocolViolation.QUOTA_EXCEEDED, cause.getMessage());
            return;
        }
        int packetId = ((MqttMessageIdVariableHeader) ack.variableHeader()).messageId();
        byte code = (byte) ProtocolViolation.QUOTA_EXCEEDED.reasonCode();
        boolean pubAck = ack.fixedHeader().messageType() == MqttMessageType.PUBACK;
        if (!pubAck) {
            // MQTT 5.0 section 4.3.3: a PUBREC with a failure code ends the QoS 2 exchange, so the client
            // may reuse the packet identifier for a new message.
            connection.session().completeInboundQos2(packetId);
        }
        PacketWriter.write(ctx, pubAck ? Packets.pubAck(packetId, code) : Packets.pubRec(packetId, code));
    }

    private static Throwable rootCause(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private void writeReady() {
        boolean wrote = false;
        while (!pending.isEmpty() && pending.peekFirst().ready) {
            PendingAck entry = pending.pollFirst();
            write(entry.ack, entry.failure);
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
    }
}
