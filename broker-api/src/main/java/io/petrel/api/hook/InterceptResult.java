package io.petrel.api.hook;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The result of a {@link BrokerInterceptor} for one event: go on unchanged, go on with a changed
 * event, or reject the event with a reason code. Immutable.
 *
 * @param <E> the event type
 */
public final class InterceptResult<E> {

    private static final InterceptResult<?> PROCEED = new InterceptResult<>(null, null, null);
    private static final CompletionStage<?> PROCEED_STAGE = CompletableFuture.completedStage(PROCEED);

    private final E event;
    private final ReasonCode reasonCode;
    private final String reason;

    private InterceptResult(E event, ReasonCode reasonCode, String reason) {
        this.event = event;
        this.reasonCode = reasonCode;
        this.reason = reason;
    }

    /** Returns the result that lets the event go on unchanged. */
    @SuppressWarnings("unchecked")
    public static <E> InterceptResult<E> proceed() {
        return (InterceptResult<E>) PROCEED;
    }

    /**
     * Returns the result that lets the event go on as {@code changed}, usually a {@code with...} copy
     * of the event the interceptor received. The next interceptor receives {@code changed}.
     */
    public static <E> InterceptResult<E> proceed(E changed) {
        return new InterceptResult<>(Objects.requireNonNull(changed, "changed"), null, null);
    }

    /**
     * Returns the result that rejects the event. Later interceptors do not see it.
     *
     * @param code   the reason code for the client; a code that the packet cannot carry becomes
     *               {@link ReasonCode#UNSPECIFIED_ERROR}
     * @param reason sent as the reason string to MQTT 5.0 clients that allow it, or as the message of
     *               the exception of an in-process publish or subscription
     */
    public static <E> InterceptResult<E> reject(ReasonCode code, String reason) {
        return new InterceptResult<>(null, Objects.requireNonNull(code, "code"), Objects.requireNonNull(reason, "reason"));
    }

    /** Returns an already completed stage of {@link #proceed()}, the result of an interceptor that changes nothing. */
    @SuppressWarnings("unchecked")
    public static <E> CompletionStage<InterceptResult<E>> proceedStage() {
        return (CompletionStage<InterceptResult<E>>) PROCEED_STAGE;
    }

    /** Returns true if the event is rejected. */
    public boolean isRejected() {
        return reasonCode != null;
    }

    /** Returns the changed event; empty when the event goes on unchanged or is rejected. */
    public Optional<E> changedEvent() {
        return Optional.ofNullable(event);
    }

    /** Returns the reason code of a rejection, or null. */
    public ReasonCode reasonCode() {
        return reasonCode;
    }

    /** Returns the reason of a rejection, or null. */
    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        if (isRejected()) {
            return "InterceptResult{reject " + reasonCode + ": " + reason + '}';
        }
        return event == null ? "InterceptResult{proceed}" : "InterceptResult{proceed with " + event + '}';
    }
}
