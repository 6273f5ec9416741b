package io.petrel.broker.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.petrel.api.Message;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * One routed message and its wire encodings, shared by every network subscriber that receives it.
 *
 * <p>A PUBLISH is encoded once per wire form (MQTT 3 or 5 layout, QoS, retain flag), the first time a
 * subscriber needs that form; the others write retained slices of the same buffer. At QoS 1 and 2
 * only the two-byte packet identifier is written per subscriber, between the shared head and tail.
 * When the writing subscriber holds the only user reference before any form is encoded, as for a
 * message routed to one network subscriber, no other subscriber can share the encoding. The packet is
 * then encoded for that subscriber alone, packet identifier included, and not kept.
 *
 * <p>Lifetime: the creator holds one user reference; every holder that keeps the publish past the
 * call that handed it over takes one with {@link #retainUser()} and gives it back with
 * {@link #releaseUser()} once the packet is written or dropped. The encodings are freed when the
 * last user is gone. Thread-safe: subscribers on different event loops encode and write concurrently.
 */
public final class EncodedPublish {

    private static final int FORMS = 12;
    private static final VarHandle USERS;

    static {
        try {
            USERS = MethodHandles.lookup().findVarHandle(EncodedPublish.class, "users", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Message message;
    private final long receivedAtNanos;
    private final long expiresAtNanos;
    /** User references; changed through {@link #USERS}. */
    private volatile int users = 1;
    /**
     * The encoding of each wire form, and where its packet identifier starts. Both {@code null} until
     * a network subscriber writes the first form, so an in-process delivery allocates neither.
     * Guarded by {@code this}.
     */
    private ByteBuf[] forms;
    private int[] packetIdOffsets;

    /** Wraps a message received now; nothing is encoded until a subscriber writes it. */
    public EncodedPublish(Message message) {
        this(message, System.nanoTime());
    }

    /**
     * Wraps a message received at {@code receivedAtNanos} ({@link System#nanoTime()} time), from which
     * its MQTT 5.0 expiry interval counts.
     */
    public EncodedPublish(Message message, long receivedAtNanos) {
        this.message = message;
        this.receivedAtNanos = receivedAtNanos;
        long expiry = message.messageExpiryIntervalSeconds().orElse(-1);
        this.expiresAtNanos = expiry < 0 ? Long.MAX_VALUE : receivedAtNanos + TimeUnit.SECONDS.toNanos(expiry);
    }

    /** Returns when the broker received the message, in {@link System#nanoTime()} time. */
    public long receivedAtNanos() {
        return receivedAtNanos;
    }

    /** Returns true if the message has an expiry interval and it has passed at {@code nowNanos}. */
    public boolean expired(long nowNanos) {
        return expiresAtNanos != Long.MAX_VALUE && nowNanos - expiresAtNanos >= 0;
    }

    /**
     * Returns the whole seconds left of the message expiry interval at {@code nowNanos}, at least 1
     * while the message is not expired, or -1 when the message has no expiry interval.
     */
    public long remainingExpirySeconds(long nowNanos) {
        if (expiresAtNanos == Long.MAX_VALUE) {
            return -1;
        }
        return Math.max(1, TimeUnit.NANOSECONDS.toSeconds(expiresAtNanos - nowNanos));
    }

    /** Returns true if the message has an MQTT 5.0 expiry interval. */
    public boolean hasExpiry() {
        return expiresAtNanos != Long.MAX_VALUE;
    }

    /** Returns the message. */
    public Message message() {
        return message;
    }

    /** Takes a user reference, keeping the encodings alive. */
    public void retainUser() {
        USERS.getAndAdd(this, 1);
    }

    /** Gives back a user reference; the last one frees the encodings. */
    public void releaseUser() {
        if ((int) USERS.getAndAdd(this, -1) == 1) {
            synchronized (this) {
                for (int i = 0; forms != null && i < FORMS; i++) {
                    if (forms[i] != null) {
                        forms[i].release();
                        forms[i] = null;
                    }
                }
            }
        }
    }

    /**
     * Writes the PUBLISH to {@code ctx} without flushing. The caller must hold a user reference and
     * run on the channel's event loop.
     */
    public void write(ChannelHandlerContext ctx, boolean mqtt5, int qos, boolean retain, int packetId) {
        if (soleWriter()) {
            ctx.write(PublishEncoder.encode(ctx.alloc(), message, mqtt5, qos, retain, false, packetId),
                    ctx.voidPromise());
            return;
        }
        int form = (mqtt5 ? 6 : 0) + qos * 2 + (retain ? 1 : 0);
        ByteBuf encoded;
        int idOffset;
        synchronized (this) {
            if (forms == null) {
                forms = new ByteBuf[FORMS];
                packetIdOffsets = new int[FORMS];
            }
            encoded = forms[form];
            if (encoded == null) {
                encoded = PublishEncoder.encode(ctx.alloc(), message, mqtt5, qos, retain, false, 0);
                forms[form] = encoded;
                packetIdOffsets[form] = PublishEncoder.packetIdOffset(encoded);
            }
            idOffset = packetIdOffsets[form];
        }
        // The caller's user reference keeps the encoding alive outside the lock.
        if (qos == 0) {
            ctx.write(encoded.retainedDuplicate(), ctx.voidPromise());
            return;
        }
        int start = encoded.readerIndex();
        ctx.write(encoded.retainedSlice(start, idOffset), ctx.voidPromise());
        ctx.write(ctx.alloc().buffer(2, 2).writeShort(packetId), ctx.voidPromise());
        ctx.write(encoded.retainedSlice(start + idOffset + 2, encoded.readableBytes() - idOffset - 2),
                ctx.voidPromise());
    }

    /**
     * Returns true if the caller holds the only user reference and no form is encoded yet, so no other
     * subscriber can share an encoding. A holder that writes the publish later without a reference
     * gets its own encoding as well, so at worst a chance to share is lost. The last of many
     * subscribers finds the shared forms and uses them.
     */
    private synchronized boolean soleWriter() {
        return forms == null && users == 1;
    }
}
