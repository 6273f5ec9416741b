package io.petrel.api.hook;

import java.util.Map;
import java.util.Objects;

/**
 * The decision of an {@link Authenticator} about one CONNECT: success with optional attributes,
 * failure with a reason code, or no decision so that the next authenticator decides. Immutable.
 */
public final class AuthenticationResult {

    /** The kinds of result. */
    public enum Outcome {
        /** The client is accepted; later authenticators are not asked. */
        SUCCESS,
        /** The client is rejected with {@link #reasonCode()}; later authenticators are not asked. */
        FAILURE,
        /** This authenticator does not handle the client; the next one decides. */
        NEXT
    }

    private static final AuthenticationResult SUCCESS = new AuthenticationResult(Outcome.SUCCESS, Map.of(), null, null);
    private static final AuthenticationResult NEXT = new AuthenticationResult(Outcome.NEXT, Map.of(), null, null);

    private final Outcome outcome;
    private final Map<String, String> attributes;
    private final ReasonCode reasonCode;
    private final String reason;

    private AuthenticationResult(Outcome outcome, Map<String, String> attributes, ReasonCode reasonCode,
                                 String reason) {
        this.outcome = outcome;
        this.attributes = attributes;
        this.reasonCode = reasonCode;
        this.reason = reason;
    }

    /** Returns a success without attributes. */
    public static AuthenticationResult success() {
        return SUCCESS;
    }

    /**
     * Returns a success that attaches {@code attributes} to the connection; later hooks read them
     * from {@link ClientInfo#attributes()}.
     */
    public static AuthenticationResult success(Map<String, String> attributes) {
        return new AuthenticationResult(Outcome.SUCCESS, Map.copyOf(attributes), null, null);
    }

    /**
     * Returns a failure for wrong credentials: CONNACK 0x86 (bad user name or password) in MQTT 5.0,
     * return code 4 in MQTT 3.1.1.
     *
     * @param reason logged by the broker and sent as reason string to MQTT 5.0 clients that allow it;
     *               it must not contain the password
     */
    public static AuthenticationResult badCredentials(String reason) {
        return failure(ReasonCode.BAD_USER_NAME_OR_PASSWORD, reason);
    }

    /**
     * Returns a failure for a client that may not connect: CONNACK 0x87 (not authorized) in MQTT 5.0,
     * return code 5 in MQTT 3.1.1.
     *
     * @param reason logged and sent as reason string, as for {@link #badCredentials}
     */
    public static AuthenticationResult notAuthorized(String reason) {
        return failure(ReasonCode.NOT_AUTHORIZED, reason);
    }

    /**
     * Returns a failure with any code that CONNACK allows; see {@link ReasonCode#allowedInConnAck()}
     * and {@link ReasonCode#connectReturnCodeV3()}.
     *
     * @throws IllegalArgumentException if CONNACK cannot carry {@code code}
     */
    public static AuthenticationResult failure(ReasonCode code, String reason) {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(reason, "reason");
        if (!code.allowedInConnAck()) {
            throw new IllegalArgumentException("invalid reason code " + code + " for an authentication failure: "
                    + "expected a code that CONNACK allows, such as NOT_AUTHORIZED");
        }
        return new AuthenticationResult(Outcome.FAILURE, Map.of(), code, reason);
    }

    /** Returns the result that passes the decision to the next authenticator. */
    public static AuthenticationResult next() {
        return NEXT;
    }

    /** Returns the kind of result. */
    public Outcome outcome() {
        return outcome;
    }

    /** Returns the attributes of a success; empty otherwise. */
    public Map<String, String> attributes() {
        return attributes;
    }

    /** Returns the reason code of a failure, or null for other outcomes. */
    public ReasonCode reasonCode() {
        return reasonCode;
    }

    /** Returns the reason of a failure, or null for other outcomes. */
    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        return outcome == Outcome.FAILURE ? "AuthenticationResult{FAILURE " + reasonCode + ": " + reason + '}'
                : "AuthenticationResult{" + outcome + '}';
    }
}
