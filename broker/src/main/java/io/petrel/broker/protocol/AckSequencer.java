package io.petrel.broker.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttMessage;

import java.util.ArrayDeque;
import java.util.concurrent.CompletionStage;

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

    /** An acknowledgement and whether it may be sent. */
    private static final class PendingAck {
        private final MqttMessage ack;
        private boolean ready;

        PendingAck(MqttMessage ack) {
            this.ack = ack;
        }
    }

    private final ChannelHandlerContext ctx;
    private final ArrayDeque<PendingAck> pending = new ArrayDeque<>();

    AckSequencer(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Writes {@code ack} once {@code queued} completes and every earlier acknowledgement was written.
     * The acknowledgement is written whether the stage succeeds or fails: a delivery that timed out was
     * dropped and counted by the subscription, and the publisher must not resend it forever.
     */
    void send(MqttMessage ack, CompletionStage<Void> queued) {
        boolean done = queued.toCompletableFuture().isDone();
        if (done && pending.isEmpty()) {
            ctx.write(ack, ctx.voidPromise());
            return;
        }
        PendingAck entry = new PendingAck(ack);
        pending.addLast(entry);
        if (done) {
            entry.ready = true;
            return;
        }
        queued.whenComplete((ignored, error) -> ctx.executor().execute(() -> {
            entry.ready = true;
            writeReady();
        }));
    }

    private void writeReady() {
        boolean wrote = false;
        while (!pending.isEmpty() && pending.peekFirst().ready) {
            ctx.write(pending.pollFirst().ack, ctx.voidPromise());
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
    }
}
