package io.petrel.broker.session;

/**
 * The result of attaching a connection to a session.
 *
 * @param session        the attached session
 * @param sessionPresent true if an existing session was resumed (CONNACK session present flag)
 */
public record ConnectOutcome(Session session, boolean sessionPresent) {
}
