package io.petrel.broker.cli;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns SIGTERM and SIGINT into a request that the thread running the broker can wait for, so that it
 * closes the broker and the process exits with status 0.
 *
 * <p>The JVM's own handling of these signals runs the shutdown hooks and then exits with status 143
 * (SIGTERM) or 130 (SIGINT). Replacing it takes {@code sun.misc.Signal} from the {@code jdk.unsupported}
 * module, present in JDK 17 and JDK 25. It is called through reflection
 * because javac warns on every compile-time use of {@code sun.misc} classes, with no way to suppress
 * the warning. If a handler cannot be installed (the JVM option {@code -Xrs} is one cause), a shutdown
 * hook requests the stop instead and waits for {@link #stopped()}. The exit status is then the JVM's,
 * and with {@code -Xrs} the JVM runs no shutdown hooks on a signal at all.
 *
 * <p>The signal dispatcher thread and shutdown hooks call {@link #request(String)}, and one thread
 * waits in {@link #await()}. All methods are thread-safe.
 */
final class ShutdownSignals {

    private static final Logger LOG = LoggerFactory.getLogger(ShutdownSignals.class);
    private static final List<String> SIGNALS = List.of("TERM", "INT");
    private static final long HOOK_WAIT_MILLIS = 30_000;

    private final CountDownLatch requested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile String reason = "";

    private ShutdownSignals() {
    }

    /** Installs the handlers for SIGTERM and SIGINT, or the shutdown-hook fallback. */
    static ShutdownSignals install() {
        ShutdownSignals signals = new ShutdownSignals();
        for (String signal : SIGNALS) {
            if (!signals.handle(signal)) {
                signals.addShutdownHook();
                break;
            }
        }
        return signals;
    }

    /**
     * Blocks until a stop is requested.
     *
     * @return what requested the stop, e.g. {@code SIGTERM}
     */
    String await() throws InterruptedException {
        requested.await();
        return reason;
    }

    /** Records that the broker is closed, which lets a waiting shutdown hook return. */
    void stopped() {
        stopped.countDown();
    }

    /** Requests a stop; the first reason is kept. */
    void request(String requestReason) {
        synchronized (this) {
            if (requested.getCount() > 0) {
                reason = requestReason;
            }
        }
        requested.countDown();
    }

    private boolean handle(String signal) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object handler = Proxy.newProxyInstance(
                    handlerClass.getClassLoader(), new Class<?>[] {handlerClass}, new Handler("SIG" + signal));
            Object signalValue = signalClass.getConstructor(String.class).newInstance(signal);
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signalValue, handler);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            Throwable cause = e instanceof InvocationTargetException ? e.getCause() : e;
            LOG.warn("Cannot handle SIG{} ({}). A shutdown hook closes the broker instead when the JVM runs "
                    + "its shutdown hooks, and the exit status after a signal is the JVM's", signal, cause.toString());
            return false;
        }
    }

    private void addShutdownHook() {
        Thread hook = new Thread(() -> {
            request("JVM shutdown");
            try {
                // The JVM halts once every hook has returned, so wait here until the broker is closed.
                if (!stopped.await(HOOK_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                    LOG.warn("Broker not closed after {} ms; exiting anyway", HOOK_WAIT_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "petrel-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** The {@code sun.misc.SignalHandler} implementation, called on the JVM's signal dispatcher thread. */
    private final class Handler implements InvocationHandler {

        private final String signalName;

        Handler(String signalName) {
            this.signalName = signalName;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) {
            switch (method.getName()) {
                case "handle":
                    request(signalName);
                    return null;
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "toString":
                    return "petrel " + signalName + " handler";
                default:
                    throw new UnsupportedOperationException(method.toString());
            }
        }
    }
}
