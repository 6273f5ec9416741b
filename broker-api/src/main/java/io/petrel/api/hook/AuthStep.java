package io.petrel.api.hook;

import java.util.Objects;

/**
 * The result of one step of an enhanced authentication exchange: success, a challenge for the
 * client, or failure. Immutable.
 */
public final class AuthStep {

    /** The broker's next action after a step. */
    public enum Outcome {
        /** The client is authenticated: CONNACK 0x00, or AUTH 0x00 after re-authentication. */
        SUCCESS,
        /** The client must reply to a challenge: AUTH with reason 0x18 (continue authentication). */
        CONTINUE,
        /** The client is rejected: CONNACK 0x87, or DISCONNECT 0x87 after re-authentication. */
        FAILURE
    }

    private static final byte[] NO_DATA = new byte[0];

    private final Outcome outcome;
    private final byte[] serverData;
    private final String reason;

    private AuthStep(Outcome outcome, byte[] serverData, String reason) {
        this.outcome = outcome;
        this.serverData = serverData;
        this.reason = reason;
    }

    /** Returns a success step that sends no authentication data. */
    public static AuthStep success() {
        return new AuthStep(Outcome.SUCCESS, NO_DATA, null);
    }

    /** Returns a success step that sends {@code serverData} with the CONNACK or AUTH packet. */
    public static AuthStep success(byte[] serverData) {
        return new AuthStep(Outcome.SUCCESS, Objects.requireNonNull(serverData, "serverData").clone(), null);
    }

    /** Returns a challenge that the client must reply to with another AUTH packet. */
    public static AuthStep challenge(byte[] serverData) {
        return new AuthStep(Outcome.CONTINUE, Objects.requireNonNull(serverData, "serverData").clone(), null);
    }

    /** Returns a failure; {@code reason} is logged and sent as reason string when the client allows. */
    public static AuthStep failure(String reason) {
        return new AuthStep(Outcome.FAILURE, NO_DATA, Objects.requireNonNull(reason, "reason"));
    }

    /** Returns what the broker does next. */
    public Outcome outcome() {
        return outcome;
    }

    /** Returns a copy of the authentication data for the client; empty when there is none. */
    public byte[] serverData() {
        return serverData.clone();
    }

    /** Returns the failure reason, or null unless the outcome is {@link Outcome#FAILURE}. */
    public String reason() {
        return reason;
    }
}
