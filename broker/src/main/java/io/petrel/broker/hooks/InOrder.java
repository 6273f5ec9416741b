package io.petrel.broker.hooks;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Runs actions in the order they were added, each once its future has completed, so that an
 * interceptor stage that completes late holds back the messages queued after it instead of letting
 * them overtake it.
 *
 * <p>Thread-safe. At most one thread runs actions at a time: the thread that completes the first
 * pending future, or the adding thread when that future is already complete. Actions run outside
 * the lock.
 */
final class InOrder {

    private final ArrayDeque<Step<?>> steps = new ArrayDeque<>();
    private boolean running;

    /** One queued action and the future it waits for; the future never completes exceptionally. */
    private record Step<T>(CompletableFuture<T> result, Consumer<T> action) {

        void run() {
            action.accept(result.join());
        }
    }

    /** Queues {@code action} to run with the value of {@code result} after every action added before it. */
    <T> void add(CompletableFuture<T> result, Consumer<T> action) {
        synchronized (this) {
            steps.addLast(new Step<>(result, action));
        }
        if (result.isDone()) {
            runReady();
        } else {
            result.whenComplete((value, error) -> runReady());
        }
    }

    private void runReady() {
        while (true) {
            Step<?> next;
            synchronized (this) {
                next = steps.peekFirst();
                if (running || next == null || !next.result().isDone()) {
                    return;
                }
                steps.pollFirst();
                running = true;
            }
            try {
                next.run();
            } finally {
                synchronized (this) {
                    running = false;
                }
            }
        }
    }
}
