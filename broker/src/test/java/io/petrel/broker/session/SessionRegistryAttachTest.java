package io.petrel.broker.session;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.petrel.api.hook.ClientInfo;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.protocol.EncodedPublish;
import io.petrel.broker.routing.Delivery;
import io.petrel.broker.routing.Grant;
import io.petrel.broker.routing.SharedSubscriptions;
import io.petrel.broker.routing.Subscriber;
import io.petrel.broker.routing.SubscriptionTrie;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** {@link SessionRegistry#connectUnlessAttached}, the connect path that needs no future. */
class SessionRegistryAttachTest {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final SessionRegistry registry = newRegistry();

    @AfterEach
    void stopScheduler() {
        scheduler.shutdownNow();
    }

    @Test
    void newClientGetsNewSession() {
        FakeConnection connection = new FakeConnection("fresh");

        ConnectOutcome outcome = registry.connectUnlessAttached("fresh", true, 0, 10, connection);

        assertNotNull(outcome);
        assertFalse(outcome.sessionPresent());
        assertSame(connection, outcome.session().connection());
    }

    @Test
    void attachedSessionIsLeftToTakeover() {
        FakeConnection first = new FakeConnection("taken");
        Session session = registry.connectUnlessAttached("taken", false, 60, 10, first).session();

        ConnectOutcome second = registry.connectUnlessAttached("taken", false, 60, 10, new FakeConnection("taken"));

        assertNull(second);
        assertSame(first, session.connection());
    }

    @Test
    void detachedSessionIsResumed() {
        FakeConnection first = new FakeConnection("back");
        Session session = registry.connectUnlessAttached("back", false, 60, 10, first).session();
        registry.disconnected(session, first, null, 0);

        ConnectOutcome outcome = registry.connectUnlessAttached("back", false, 60, 10, new FakeConnection("back"));

        assertNotNull(outcome);
        assertTrue(outcome.sessionPresent());
        assertSame(session, outcome.session());
    }

    private SessionRegistry newRegistry() {
        SubscriptionTrie<Subscriber, Grant> trie = new SubscriptionTrie<>();
        return new SessionRegistry(BrokerConfig.defaults(), trie, new SharedSubscriptions(trie),
                (session, will) -> { }, scheduler, new BrokerMetrics(new SimpleMeterRegistry()),
                NoOpSessionStore.INSTANCE);
    }

    /** A connection that is open and writes nothing. */
    private static final class FakeConnection implements SessionConnection {

        private final ClientInfo client;

        FakeConnection(String clientId) {
            this.client = ClientInfo.builder(clientId).build();
        }

        @Override
        public EventExecutor executor() {
            return ImmediateEventExecutor.INSTANCE;
        }

        @Override
        public ClientInfo clientInfo() {
            return client;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public boolean isWritable() {
            return true;
        }

        @Override
        public boolean fits(EncodedPublish publish, Delivery delivery) {
            return true;
        }

        @Override
        public void writePublish(EncodedPublish publish, Delivery delivery, int packetId, boolean dup) {
        }

        @Override
        public void writePubRel(int packetId) {
        }

        @Override
        public void flush() {
        }

        @Override
        public CompletableFuture<Void> takeOver() {
            return CompletableFuture.completedFuture(null);
        }
    }
}
