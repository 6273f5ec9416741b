package io.petrel.broker;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.petrel.api.Broker;
import io.petrel.api.BrokerException;
import io.petrel.api.BrokerStatus;
import io.petrel.api.CircuitState;
import io.petrel.api.DeadLetters;
import io.petrel.api.Message;
import io.petrel.api.MessageHandler;
import io.petrel.api.Qos;
import io.petrel.api.Subscription;
import io.petrel.api.SubscriptionOptions;
import io.petrel.api.SubscriptionStatus;
import io.petrel.api.hook.Authenticator;
import io.petrel.api.hook.Authorizer;
import io.petrel.api.hook.BrokerInterceptor;
import io.petrel.api.hook.EnhancedAuthenticator;
import io.petrel.api.hook.SubscribeEvent;
import io.petrel.api.store.DeadLetterStore;
import io.petrel.api.store.RetainedStore;
import io.petrel.api.store.SessionStore;
import io.petrel.api.store.StoredSession;
import io.petrel.api.store.StoreOptions;
import io.petrel.api.store.StoreProvider;
import io.petrel.broker.hooks.BrokerHooks;
import io.petrel.broker.hooks.PluginLoader;
import io.petrel.broker.hooks.Plugins;
import io.petrel.broker.local.BrokerDeadLetters;
import io.petrel.broker.local.DeadLetterWriter;
import io.petrel.broker.local.DrainPacing;
import io.petrel.broker.local.InMemoryDeadLetterStore;
import io.petrel.broker.local.LocalContext;
import io.petrel.broker.local.LocalSubscription;
import io.petrel.broker.observability.BrokerMetrics;
import io.petrel.broker.protocol.MqttConnectionHandler;
import io.petrel.broker.protocol.ProtocolContext;
import io.petrel.broker.retained.NoOpRetainedStore;
import io.petrel.broker.session.NoOpSessionStore;
import io.petrel.broker.retained.RetainedMessages;
import io.petrel.broker.routing.Grant;
import io.petrel.broker.routing.MessageRouter;
import io.petrel.broker.routing.ShareName;
import io.petrel.broker.routing.SharedSubscriptions;
import io.petrel.broker.routing.Subscriber;
import io.petrel.broker.routing.SubscriptionTrie;
import io.petrel.broker.routing.Topics;
import io.petrel.broker.session.SessionRegistry;
import io.petrel.broker.transport.EventLoops;
import io.petrel.broker.transport.MqttServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The Petrel broker: an MQTT 3.1, 3.1.1 and 5.0 server over TCP that the hosting application also
 * publishes to and subscribes on in-process. Build one with {@link #builder()}.
 *
 * <pre>{@code
 * try (PetrelBroker broker = PetrelBroker.builder().port(1883).build()) {
 *     broker.start();
 *     broker.subscribe("room/+/light", message -> System.out.println(message.payloadAsString()));
 *     broker.publish(Message.builder("room/kitchen/light").payload("on").build());
 * }
 * }</pre>
 *
 * <p>In-process subscriptions retry, dead-letter and circuit-break their handlers as their
 * {@link SubscriptionOptions} set. Retries, circuit probes and publish timeouts run on one daemon
 * thread, {@code petrel-retry}, that the broker starts and stops; failure times and cool-downs follow
 * the builder's {@link Builder#clock clock}.
 *
 * <p>Hooks: {@link Builder#authenticator}, {@link Builder#authorizer} and {@link Builder#interceptor}
 * install them when embedding; {@link Builder#plugins} loads them from the jars of a plugins
 * directory, such as the {@code plugins/} directory of the distribution home.
 *
 * <p>Thread-safe. {@link #start()} and {@link #close()} are idempotent and serialized with each other.
 */
public final class PetrelBroker implements Broker {

    private static final Logger LOG = LoggerFactory.getLogger(PetrelBroker.class);
    private static final long CLOSE_TIMEOUT_SECONDS = 5;
    private static final long RETAINED_SWEEP_SECONDS = 1;

    /** How long an in-process QoS 1 or 2 publish waits for room in full subscription queues by default. */
    public static final Duration DEFAULT_PUBLISH_TIMEOUT = Duration.ofSeconds(10);

    private enum State { NEW, RUNNING, CLOSED }

    private final BrokerConfig config;
    private final BrokerMetrics metrics;
    private final SubscriptionTrie<Subscriber, Grant> trie = new SubscriptionTrie<>();
    private final BrokerHooks hooks;
    /** {@link #routeLocal} as a function, made once instead of once per publish. */
    private final Function<Message, CompletionStage<Void>> localRoute = this::routeLocal;
    private final List<Plugins> plugins;
    private final MessageRouter router;
    private final SharedSubscriptions shared;
    private final Set<LocalSubscription> localSubscriptions = ConcurrentHashMap.newKeySet();
    private final ChannelGroup connected = new DefaultChannelGroup("petrel-clients", GlobalEventExecutor.INSTANCE);
    private final Clock clock;
    private final Duration publishTimeout;
    private final DeadLetterStore deadLetterStore;
    private final RetainedMessages retainedMessages = new RetainedMessages();
    /**
     * The common fork-join pool behind a wrapper. On Java 17, CompletableFuture replaces the pool
     * itself with a new thread per task when the pool's parallelism is 1, as on a 2-core machine, and
     * Java 25 does not. The wrapper keeps the pool's worker threads on both.
     */
    private static final Executor COMMON_POOL = task -> ForkJoinPool.commonPool().execute(task);

    private final RetainedStore retainedStore;
    private final SessionStore sessionStore;
    private final DeadLetterWriter deadLetterWriter;
    private final BrokerDeadLetters deadLetters;

    private final Map<String, EnhancedAuthenticator> authenticators;
    private volatile State state = State.NEW;
    private EventLoops eventLoops;
    private MqttServer server;
    private ProtocolContext protocolContext;
    private SessionRegistry registry;
    private ExecutorService handlerPool;
    /** The rules by which in-process subscriptions on {@link #handlerPool} share it; set with the pool. */
    private DrainPacing handlerPoolPacing;
    private ScheduledThreadPoolExecutor retryScheduler;
    private volatile LocalContext localContext;
    private volatile List<InetSocketAddress> listeners = List.of();

    private PetrelBroker(Builder builder) {
        this.config = builder.config;
        this.authenticators = Map.copyOf(builder.enhancedAuthenticators);
        this.metrics = new BrokerMetrics(builder.meterRegistry != null ? builder.meterRegistry : new SimpleMeterRegistry());
        this.plugins = List.copyOf(builder.plugins);
        this.hooks = new BrokerHooks(config, metrics, builder.authenticators, builder.authorizers, builder.interceptors,
                this::filterProblem);
        this.retainedStore = builder.retainedStore != null ? builder.retainedStore : NoOpRetainedStore.INSTANCE;
        this.sessionStore = builder.sessionStore != null ? builder.sessionStore : NoOpSessionStore.INSTANCE;
        this.router = new MessageRouter(trie, retainedMessages, hooks.deliveryGate(), retainedStore);
        this.shared = new SharedSubscriptions(trie, hooks.deliveryGate());
        this.metrics.bindGauges(connected::size, () -> registry == null ? 0 : registry.size(), trie::size,
                router::retainedCount);
        this.clock = builder.clock;
        this.publishTimeout = builder.publishTimeout;
        this.deadLetterStore = builder.deadLetterStore != null ? builder.deadLetterStore : new InMemoryDeadLetterStore();
        this.deadLetterWriter = new DeadLetterWriter(deadLetterStore, metrics, hooks.interceptors()::onDeadLetter);
        this.deadLetters = new BrokerDeadLetters(deadLetterStore, this::publish);
        this.metrics.bindLocalMeters(this::subscriptionsInState, this::localQueued, deadLetterStore);
        this.metrics.bindStoreWrites("retained", retainedStore);
        this.metrics.bindStoreWrites("sessions", sessionStore);
        this.metrics.bindStoreWrites("dead_letters", deadLetterStore);
    }

    /** Returns a builder with the default configuration: a listener on 127.0.0.1:1883. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the version from the jar manifest, or "development" when run from classes. */
    public static String version() {
        String version = PetrelBroker.class.getPackage().getImplementationVersion();
        return version == null ? "development" : version;
    }

    @Override
    public synchronized void start() {
        if (state == State.RUNNING) {
            return;
        }
        if (state == State.CLOSED) {
            throw new BrokerException("the broker was closed and cannot be started again; build a new one");
        }
        loadRetained();
        int threads = config.handlerThreads() > 0 ? config.handlerThreads() : Runtime.getRuntime().availableProcessors();
        // A lock-free queue: publishing threads submit drain tasks and pool threads take them at high
        // rates, and a LinkedBlockingQueue made them contend for its two locks.
        LinkedTransferQueue<Runnable> handlerTasks = new LinkedTransferQueue<>();
        handlerPool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, handlerTasks,
                new DefaultThreadFactory("petrel-handler", true));
        handlerPoolPacing = DrainPacing.ownPool(() -> !handlerTasks.isEmpty());
        retryScheduler = newRetryScheduler();
        localContext = new LocalContext(clock, retryScheduler, deadLetterWriter, metrics, publishTimeout);

        eventLoops = new EventLoops(config.ioThreads());
        registry = new SessionRegistry(config, trie, shared, hooks.willPublisher(router), eventLoops.workers(), metrics,
                sessionStore);
        restoreSessions();
        protocolContext = new ProtocolContext(config, registry, router, metrics, connected, authenticators, hooks);
        server = new MqttServer(config, protocolContext, eventLoops);
        eventLoops.workers().scheduleAtFixedRate(router::removeExpiredRetained, RETAINED_SWEEP_SECONDS,
                RETAINED_SWEEP_SECONDS, TimeUnit.SECONDS);
        try {
            InetSocketAddress address = server.start();
            listeners = List.of(address);
            int ioThreads = eventLoops.ioThreads();
            LOG.info("Petrel {} listening for MQTT on {}:{} ({}, {} I/O thread{})", version(), address.getHostString(),
                    address.getPort(), eventLoops.nativeEpoll() ? "native epoll" : "NIO", ioThreads,
                    ioThreads == 1 ? "" : "s");
        } catch (RuntimeException e) {
            eventLoops.close();
            handlerPool.shutdownNow();
            retryScheduler.shutdownNow();
            throw e;
        }
        state = State.RUNNING;
    }

    /**
     * Fills the retained index from the retained store, keeping each message's arrival time so that
     * an MQTT 5.0 expiry interval counts from when the message first arrived. A message whose
     * interval passed while the broker was stopped is left out.
     */
    private void loadRetained() {
        long nowMillis = System.currentTimeMillis();
        long nowNanos = System.nanoTime();
        int[] loaded = new int[2];
        retainedStore.forEach(stored -> {
            long ageMillis = Math.max(0, nowMillis - stored.arrivalEpochMillis());
            Message message = stored.message();
            if (expiredAfter(message, ageMillis)) {
                loaded[1]++;
                return;
            }
            retainedMessages.put(message, nowNanos - TimeUnit.MILLISECONDS.toNanos(ageMillis));
            loaded[0]++;
        });
        if (retainedStore != NoOpRetainedStore.INSTANCE) {
            LOG.info("Loaded {} retained messages from {}; skipped {} whose expiry interval passed",
                    loaded[0], retainedStore, loaded[1]);
        }
    }

    /**
     * Recreates the persistent sessions of the session store, offline, with their subscriptions and
     * the rest of their expiry intervals.
     */
    private void restoreSessions() {
        if (sessionStore == NoOpSessionStore.INSTANCE) {
            return;
        }
        List<StoredSession> stored = sessionStore.load();
        int restored = registry.restore(stored, System.currentTimeMillis());
        LOG.info("Restored {} persistent sessions from {}; dropped {} whose expiry interval passed", restored,
                sessionStore, stored.size() - restored);
    }

    private static boolean expiredAfter(Message message, long ageMillis) {
        return message.messageExpiryIntervalSeconds().isPresent()
                && ageMillis >= TimeUnit.SECONDS.toMillis(message.messageExpiryIntervalSeconds().getAsLong());
    }

    /** Creates the single daemon thread that runs retries, circuit probes and publish timeouts. */
    private static ScheduledThreadPoolExecutor newRetryScheduler() {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "petrel-retry");
            thread.setDaemon(true);
            return thread;
        });
        // Timeouts of publishes that found room are cancelled; drop them from the queue at once.
        scheduler.setRemoveOnCancelPolicy(true);
        return scheduler;
    }

    @Override
    public synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
        boolean wasRunning = state == State.RUNNING;
        state = State.CLOSED;
        for (LocalSubscription subscription : new ArrayList<>(localSubscriptions)) {
            subscription.close();
        }
        if (!wasRunning) {
            closeRetainedStore();
            closeSessionStore();
            closeDeadLetterStore();
            closePlugins();
            return;
        }

        server.close();
        for (Channel channel : connected) {
            MqttConnectionHandler handler = channel.pipeline().get(MqttConnectionHandler.class);
            if (handler != null) {
                handler.shutDown();
            }
        }
        if (!connected.newCloseFuture().awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            LOG.warn("{} client connections did not close within {} s; closing the event loops anyway",
                    connected.size(), CLOSE_TIMEOUT_SECONDS);
        }
        eventLoops.close();
        registry.close();
        protocolContext.violationLog().logSuppressed();

        handlerPool.shutdown();
        retryScheduler.shutdownNow();
        closeRetainedStore();
        closeSessionStore();
        closeDeadLetterStore();
        closePlugins();
        listeners = List.of();
        LOG.info("Petrel stopped");
    }

    private void closePlugins() {
        for (Plugins loaded : plugins) {
            try {
                loaded.close();
            } catch (RuntimeException e) {
                LOG.warn("Failed to close the class loader of the plugin jars", e);
            }
        }
    }

    private void closeRetainedStore() {
        try {
            retainedStore.close();
        } catch (Exception e) {
            LOG.error("Failed to close the retained store {}", retainedStore, e);
        }
    }

    private void closeSessionStore() {
        try {
            sessionStore.close();
        } catch (Exception e) {
            LOG.error("Failed to close the session store {}", sessionStore, e);
        }
    }

    private void closeDeadLetterStore() {
        try {
            deadLetterStore.close();
        } catch (Exception e) {
            LOG.error("Failed to close the dead-letter store {}", deadLetterStore, e);
        }
    }

    @Override
    public CompletionStage<Void> publish(Message message) {
        Objects.requireNonNull(message, "message");
        String problem = Topics.checkTopicName(message.topic());
        if (problem != null) {
            throw new IllegalArgumentException("invalid topic name '" + message.topic() + "': " + problem);
        }
        if (state != State.RUNNING) {
            return CompletableFuture.failedFuture(notRunning());
        }
        metrics.receivedFromLocal();
        return hooks.inProcess().publish(message, localRoute);
    }

    /** Routes an in-process message; the stage completes once every bounded subscriber queue took it. */
    private CompletionStage<Void> routeLocal(Message message) {
        MessageRouter.RouteOutcome outcome = router.routeWithBackpressure(message, MessageRouter.LOCAL_PUBLISHER);
        if (outcome.settled()) {
            return outcome.allQueued(); // shared and completed, and a caller cannot complete it again
        }
        CompletableFuture<Void> queued = outcome.allQueued().toCompletableFuture();
        if (queued.isDone()) {
            // A fresh future: the router's stage is either new or an immutable completed one.
            return queued;
        }
        // Completes on the common fork-join pool, so the application's dependent actions never run on
        // the petrel-retry thread, the store's writer thread or the handler thread that made room.
        return queued.whenCompleteAsync((ignored, error) -> { }, COMMON_POOL);
    }

    @Override
    public Subscription subscribe(String filter, MessageHandler handler, SubscriptionOptions options) {
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(options, "options");
        String problem = filterProblem(filter);
        if (problem != null) {
            throw new IllegalArgumentException("invalid topic filter '" + filter + "': " + problem);
        }
        if (options.noLocal() && ShareName.isShared(filter)) {
            // [MQTT-3.8.3-4]: No Local is not allowed on a shared subscription.
            throw new IllegalArgumentException("invalid options for '" + filter
                    + "': noLocal is not allowed on a shared subscription");
        }
        if (state != State.RUNNING) {
            throw notRunning();
        }
        SubscribeEvent admitted = hooks.inProcess().subscribe(filter, options.maxQos());
        String subscribed = admitted.filter();
        // An application's executor may have other work, so only the broker's own pool gets the linger
        // and lets a drain keep its thread while no other drain waits.
        LocalSubscription subscription = new LocalSubscription(subscribed, handler, options,
                options.executor().orElse(handlerPool),
                options.executor().isPresent() ? DrainPacing.SHARED_EXECUTOR : handlerPoolPacing, localContext,
                this::unsubscribe);
        localSubscriptions.add(subscription);
        if (ShareName.isShared(subscribed)) {
            ShareName name = ShareName.parse(subscribed);
            shared.join(name, subscription, grantOf(name.filter(), admitted.qos(), options));
            return subscription;
        }
        Grant grant = grantOf(subscribed, admitted.qos(), options);
        trie.put(subscribed, subscription, grant);
        router.deliverRetained(subscription, grant, true);
        return subscription;
    }

    private static Grant grantOf(String filter, Qos qos, SubscriptionOptions options) {
        return new Grant(filter, qos, options.noLocal(), options.retainAsPublished(), options.retainHandling(),
                options.subscriptionIdentifier());
    }

    /** Returns why {@code filter} cannot be subscribed to, or null if it can; {@code $share/} filters included. */
    private String filterProblem(String filter) {
        if (ShareName.isShared(filter)) {
            String problem = ShareName.check(filter);
            return problem != null ? problem : trie.checkFilter(ShareName.parse(filter).filter());
        }
        return trie.checkFilter(filter);
    }

    private void unsubscribe(LocalSubscription subscription) {
        String filter = subscription.filter();
        if (ShareName.isShared(filter)) {
            shared.leave(ShareName.parse(filter), subscription);
        } else {
            trie.remove(filter, subscription);
        }
        localSubscriptions.remove(subscription);
        hooks.inProcess().unsubscribed(filter);
    }

    @Override
    public DeadLetters deadLetters() {
        return deadLetters;
    }

    @Override
    public BrokerStatus status() {
        List<SubscriptionStatus> local = new ArrayList<>(localSubscriptions.size());
        for (LocalSubscription subscription : localSubscriptions) {
            local.add(subscription.status());
        }
        return new BrokerStatus(state == State.RUNNING, listeners, connected.size(),
                registry == null ? 0 : registry.size(), trie.size(), router.retainedCount(), local);
    }

    private int subscriptionsInState(CircuitState circuitState) {
        int count = 0;
        for (LocalSubscription subscription : localSubscriptions) {
            if (subscription.circuitState() == circuitState) {
                count++;
            }
        }
        return count;
    }

    private long localQueued() {
        long queued = 0;
        for (LocalSubscription subscription : localSubscriptions) {
            queued += subscription.queued();
        }
        return queued;
    }

    /** Returns the bound address of each listener; empty unless running. */
    public List<InetSocketAddress> listenerAddresses() {
        return listeners;
    }

    /**
     * Returns the port of the first listener, the one bound when the configured port was 0.
     *
     * @throws BrokerException if the broker is not running
     */
    public int port() {
        List<InetSocketAddress> bound = listeners;
        if (bound.isEmpty()) {
            throw notRunning();
        }
        return bound.get(0).getPort();
    }

    /** Returns the configuration the broker was built with. */
    public BrokerConfig config() {
        return config;
    }

    /** Returns the registry holding the broker's meters. */
    public MeterRegistry meterRegistry() {
        return metrics.registry();
    }

    private BrokerException notRunning() {
        return new BrokerException(state == State.CLOSED
                ? "the broker is closed" : "the broker is not started; call start() first");
    }

    /** Builder of {@link PetrelBroker}. Not thread-safe. */
    public static final class Builder {

        private BrokerConfig config = BrokerConfig.defaults();
        private MeterRegistry meterRegistry;
        private final Map<String, EnhancedAuthenticator> enhancedAuthenticators = new LinkedHashMap<>();
        private final List<Authenticator> authenticators = new ArrayList<>();
        private final List<Authorizer> authorizers = new ArrayList<>();
        private final List<BrokerInterceptor> interceptors = new ArrayList<>();
        private final List<Plugins> plugins = new ArrayList<>();
        private Clock clock = Clock.systemUTC();
        private DeadLetterStore deadLetterStore;
        private RetainedStore retainedStore;
        private SessionStore sessionStore;
        private Duration publishTimeout = DEFAULT_PUBLISH_TIMEOUT;

        private Builder() {
        }

        /**
         * Installs an MQTT 5.0 enhanced authentication method.
         *
         * @throws IllegalArgumentException if another authenticator already handles the same method
         */
        public Builder enhancedAuthenticator(EnhancedAuthenticator authenticator) {
            Objects.requireNonNull(authenticator, "authenticator");
            String method = Objects.requireNonNull(authenticator.method(), "authenticator.method()");
            if (enhancedAuthenticators.putIfAbsent(method, authenticator) != null) {
                throw new IllegalArgumentException("duplicate enhanced authenticator for method '" + method
                        + "': install one authenticator per method");
            }
            return this;
        }

        /**
         * Installs an authenticator for CONNECTs without an MQTT 5.0 authentication method.
         * Authenticators are called in the order they are installed; see {@link Authenticator}.
         */
        public Builder authenticator(Authenticator authenticator) {
            authenticators.add(Objects.requireNonNull(authenticator, "authenticator"));
            return this;
        }

        /**
         * Installs an authorizer. Every authorizer must allow an action, and they are called in the
         * order they are installed; see {@link Authorizer}.
         */
        public Builder authorizer(Authorizer authorizer) {
            authorizers.add(Objects.requireNonNull(authorizer, "authorizer"));
            return this;
        }

        /**
         * Installs an interceptor. Interceptors run in the order they are installed, plugins in the
         * position of their {@link #plugins} call; see {@link BrokerInterceptor}.
         */
        public Builder interceptor(BrokerInterceptor interceptor) {
            interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
            return this;
        }

        /**
         * Loads the hooks in the {@code *.jar} files of {@code directory} with {@link java.util.ServiceLoader}
         * and installs them as if each had been passed to {@link #authenticator}, {@link #authorizer},
         * {@link #interceptor} or {@link #enhancedAuthenticator} now, jar by jar in file name order. A
         * directory that does not exist contains no plugins. The standalone launcher is to call this with
         * the {@code plugins/} directory of the distribution home. The broker closes the jars' class
         * loader when it closes.
         *
         * @throws BrokerException if the directory cannot be read or a plugin cannot be loaded
         * @see PluginLoader
         */
        public Builder plugins(Path directory) {
            Plugins loaded = PluginLoader.load(Objects.requireNonNull(directory, "directory"));
            plugins.add(loaded);
            authenticators.addAll(loaded.authenticators());
            authorizers.addAll(loaded.authorizers());
            interceptors.addAll(loaded.interceptors());
            for (EnhancedAuthenticator authenticator : loaded.enhancedAuthenticators()) {
                enhancedAuthenticator(authenticator);
            }
            return this;
        }

        /** Replaces the whole configuration. */
        public Builder config(BrokerConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** Sets the listener address; see {@link BrokerConfig.Builder#host}. */
        public Builder host(String host) {
            this.config = config.toBuilder().host(host).build();
            return this;
        }

        /** Sets the listener port, 0 for an ephemeral port; see {@link BrokerConfig.Builder#port}. */
        public Builder port(int port) {
            this.config = config.toBuilder().port(port).build();
            return this;
        }

        /**
         * Sets the Micrometer registry for the broker's meters. Default: a private
         * {@link SimpleMeterRegistry}, readable through {@link PetrelBroker#meterRegistry()}.
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
            return this;
        }

        /**
         * Sets the clock for dead-letter failure times and circuit breaker cool-downs. Default: the
         * system clock in UTC.
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Sets where in-process subscriptions put the messages their handlers failed on; the broker
         * closes the store when it closes. Default: an {@link InMemoryDeadLetterStore} of
         * {@value InMemoryDeadLetterStore#DEFAULT_CAPACITY} letters.
         */
        public Builder deadLetterStore(DeadLetterStore store) {
            this.deadLetterStore = Objects.requireNonNull(store, "deadLetterStore");
            return this;
        }

        /**
         * Sets where the broker writes retained messages so that they survive a restart. The broker
         * loads them when it starts and closes the store when it closes. Default: none, so retained
         * messages live in memory only.
         */
        public Builder retainedStore(RetainedStore store) {
            this.retainedStore = Objects.requireNonNull(store, "retainedStore");
            return this;
        }

        /**
         * Sets where the broker writes persistent sessions (session expiry interval above 0, or clean
         * session 0 in MQTT 3.1.1) and their subscriptions so that they survive a restart. The broker
         * restores them when it starts and closes the store when it closes. Default: none, so sessions
         * live in memory only.
         */
        public Builder sessionStore(SessionStore store) {
            this.sessionStore = Objects.requireNonNull(store, "sessionStore");
            return this;
        }

        /**
         * Opens the retained-message, session and dead-letter stores of the first {@link StoreProvider}
         * found with {@link ServiceLoader} under {@code dataDirectory}, as {@link #retainedStore},
         * {@link #sessionStore} and {@link #deadLetterStore} would install them. The
         * {@code petrel-persistence} jar provides one.
         *
         * @throws BrokerException if no provider is on the class path or a store cannot be opened
         */
        public Builder persistence(Path dataDirectory) {
            return persistence(dataDirectory, StoreOptions.defaults());
        }

        /**
         * Opens the stores as {@link #persistence(Path)} does, with {@code options}: the size cap of
         * the data directory, the free space the stores leave, the sync mode and dead-letter
         * retention.
         *
         * @throws BrokerException if no provider is on the class path or a store cannot be opened
         */
        public Builder persistence(Path dataDirectory, StoreOptions options) {
            Objects.requireNonNull(dataDirectory, "dataDirectory");
            Objects.requireNonNull(options, "options");
            StoreProvider provider = findStoreProvider().orElseThrow(() -> new BrokerException(
                    "no StoreProvider on the class path for the data directory " + dataDirectory
                            + "; add the petrel-persistence jar"));
            RetainedStore retained;
            try {
                retained = provider.retainedStore(dataDirectory, options).orElse(null);
            } catch (RuntimeException e) {
                throw new BrokerException("cannot open the retained store: " + e.getMessage(), e);
            }
            SessionStore sessions;
            try {
                sessions = provider.sessionStore(dataDirectory, options).orElse(null);
            } catch (RuntimeException e) {
                if (retained != null) {
                    retained.close();
                }
                throw new BrokerException("cannot open the session store: " + e.getMessage(), e);
            }
            try {
                provider.deadLetterStore(dataDirectory, options).ifPresent(this::deadLetterStore);
            } catch (RuntimeException e) {
                if (retained != null) {
                    retained.close();
                }
                if (sessions != null) {
                    sessions.close();
                }
                throw new BrokerException("cannot open the dead-letter store: " + e.getMessage(), e);
            }
            if (retained != null) {
                retainedStore(retained);
            }
            if (sessions != null) {
                sessionStore(sessions);
            }
            return this;
        }

        /** Returns the first {@link StoreProvider} on the class path, if any. */
        public static Optional<StoreProvider> findStoreProvider() {
            return ServiceLoader.load(StoreProvider.class, PetrelBroker.class.getClassLoader()).findFirst();
        }

        /**
         * Sets how long a QoS 1 or 2 message may wait for room in a full in-process subscription
         * queue. When it passes, the message is not delivered to that subscription and the publish
         * stage fails with a {@link BrokerException} naming the subscription. Default: 10 s.
         *
         * @throws IllegalArgumentException if {@code timeout} is zero or negative
         */
        public Builder publishTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "publishTimeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("invalid publishTimeout " + timeout + ": expected a positive duration");
            }
            this.publishTimeout = timeout;
            return this;
        }

        /**
         * Builds a broker; call {@link PetrelBroker#start()} to open its listener.
         *
         * @throws IllegalArgumentException if an interceptor's {@code fallbackPolicy()} returns null
         */
        public PetrelBroker build() {
            return new PetrelBroker(this);
        }
    }
}
