package io.petrel.broker.protocol;

import io.netty.channel.ChannelHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Hands the results of hook stages, which may complete on any thread, back to the event loop of
 * their connection. Stateless.
 */
final class HookResults {

    private static final Logger LOG = LoggerFactory.getLogger(HookResults.class);

    private HookResults() {
    }

    /**
     * Runs {@code next} with the value of {@code result} on the connection's event loop: at once when
     * {@code result} is already complete, otherwise once it completes, unless the connection closed
     * meanwhile. Call on the event loop; {@code result} must not complete exceptionally.
     */
    static <T> void onEventLoop(MqttConnectionHandler connection, CompletableFuture<T> result, Consumer<T> next) {
        if (result.isDone()) {
            next.accept(result.join());
            return;
        }
        ChannelHandlerContext ctx = connection.channelContext();
        result.whenComplete((value, error) -> {
            try {
                ctx.executor().execute(() -> {
                    if (connection.isOpen()) {
                        next.accept(value);
                    }
                });
            } catch (RejectedExecutionException e) {
                LOG.debug("Event loop stopped before a hook of client {} completed", connection.clientId());
            }
        });
    }

    /**
     * Runs {@code next} like {@link #onEventLoop}, and queues the connection's later packets while
     * {@code result} is pending, so that they are processed after {@code next} in arrival order.
     */
    static <T> void inPacketOrder(MqttConnectionHandler connection, CompletableFuture<T> result, Consumer<T> next) {
        if (result.isDone()) {
            next.accept(result.join());
            return;
        }
        connection.pauseReading();
        onEventLoop(connection, result, value -> {
            connection.endPause();
            next.accept(value);
            // next may have paused reading again for a stage of its own, which then resumes it.
            if (!connection.readingPaused()) {
                connection.resumeReading();
            }
        });
    }
}
