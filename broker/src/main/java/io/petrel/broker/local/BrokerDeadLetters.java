package io.petrel.broker.local;

import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterPage;
import io.petrel.api.DeadLetterQuery;
import io.petrel.api.DeadLetters;
import io.petrel.api.Message;
import io.petrel.api.store.DeadLetterStore;
import io.petrel.broker.observability.LogText;
import io.petrel.broker.routing.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The broker's {@link DeadLetters}: reads and purges go straight to the store; a replay publishes
 * through the broker and removes the letter once the publish stage completed. Thread-safe, as the
 * store and the publisher are.
 */
public final class BrokerDeadLetters implements DeadLetters {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerDeadLetters.class);

    private final DeadLetterStore store;
    private final Function<Message, CompletionStage<Void>> publisher;

    /**
     * Creates the administration view of {@code store}; replays go to {@code publisher}, normally
     * {@code broker::publish}.
     */
    public BrokerDeadLetters(DeadLetterStore store, Function<Message, CompletionStage<Void>> publisher) {
        this.store = Objects.requireNonNull(store, "store");
        this.publisher = Objects.requireNonNull(publisher, "publisher");
    }

    @Override
    public DeadLetterPage list(DeadLetterQuery query, String cursor, int limit) {
        Objects.requireNonNull(query, "query");
        if (limit < 1 || limit > MAX_PAGE_SIZE) {
            throw new IllegalArgumentException("invalid limit " + limit + ": expected 1 to " + MAX_PAGE_SIZE);
        }
        return store.list(query, cursor, limit);
    }

    @Override
    public Optional<DeadLetter> get(String id) {
        return store.get(Objects.requireNonNull(id, "id"));
    }

    @Override
    public long count(DeadLetterQuery query) {
        return store.count(Objects.requireNonNull(query, "query"));
    }

    @Override
    public CompletionStage<Boolean> replay(String id) {
        Objects.requireNonNull(id, "id");
        return replayOne(id, null);
    }

    @Override
    public CompletionStage<Boolean> replay(String id, String topic) {
        Objects.requireNonNull(id, "id");
        checkTopic(topic);
        return replayOne(id, topic);
    }

    @Override
    public CompletionStage<Long> replayAll(DeadLetterQuery query) {
        Objects.requireNonNull(query, "query");
        return replayEach(idsMatching(query), null);
    }

    @Override
    public CompletionStage<Long> replayAll(DeadLetterQuery query, String topic) {
        Objects.requireNonNull(query, "query");
        checkTopic(topic);
        return replayEach(idsMatching(query), topic);
    }

    @Override
    public boolean purge(String id) {
        return store.remove(Objects.requireNonNull(id, "id"));
    }

    @Override
    public long purge(DeadLetterQuery query) {
        return store.purge(Objects.requireNonNull(query, "query"));
    }

    private static void checkTopic(String topic) {
        Objects.requireNonNull(topic, "topic");
        String problem = Topics.checkTopicName(topic);
        if (problem != null) {
            throw new IllegalArgumentException("invalid replay topic '" + topic + "': " + problem);
        }
    }

    /**
     * Lists the ids of the matching letters before replaying any, so that a message that fails again
     * and is dead-lettered anew is not replayed a second time by the same call.
     */
    private List<String> idsMatching(DeadLetterQuery query) {
        List<String> ids = new ArrayList<>();
        String cursor = null;
        do {
            DeadLetterPage page = store.list(query, cursor, MAX_PAGE_SIZE);
            for (DeadLetter letter : page.letters()) {
                ids.add(letter.id());
            }
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        return ids;
    }

    /** Publishes one letter to {@code topic}, or to its own topic when {@code topic} is null. */
    private CompletableFuture<Boolean> replayOne(String id, String topic) {
        Optional<DeadLetter> found = store.get(id);
        if (found.isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        DeadLetter letter = found.get();
        Message message = replayMessage(letter.message(), topic);
        CompletionStage<Void> published;
        try {
            published = publisher.apply(message);
        } catch (RuntimeException e) {
            published = CompletableFuture.failedFuture(e);
        }
        return published.toCompletableFuture().thenApply(ignored -> {
            store.remove(id);
            LOG.info("Replayed dead letter {} of the in-process subscription '{}' to topic '{}'", id,
                    letter.subscriptionFilter(), LogText.printable(message.topic()));
            return true;
        });
    }

    private CompletionStage<Long> replayEach(List<String> ids, String topic) {
        SequentialReplay replay = new SequentialReplay(ids.iterator(), topic);
        replay.next();
        return replay.result;
    }

    /**
     * Replays letters one after another, oldest first. Stages that are already complete are consumed
     * in a loop rather than chained, so a long run of synchronous publishes does not deepen the stack.
     */
    private final class SequentialReplay {

        private final Iterator<String> remaining;
        private final String topic;
        private final CompletableFuture<Long> result = new CompletableFuture<>();
        private long replayed;

        SequentialReplay(Iterator<String> remaining, String topic) {
            this.remaining = remaining;
            this.topic = topic;
        }

        void next() {
            while (remaining.hasNext()) {
                CompletableFuture<Boolean> stage = replayOne(remaining.next(), topic);
                if (!stage.isDone()) {
                    stage.whenComplete((done, error) -> {
                        if (error != null) {
                            result.completeExceptionally(unwrap(error));
                        } else {
                            count(done);
                            next();
                        }
                    });
                    return;
                }
                try {
                    count(stage.join());
                } catch (CompletionException e) {
                    result.completeExceptionally(unwrap(e));
                    return;
                }
            }
            result.complete(replayed);
        }

        private void count(boolean done) {
            if (done) {
                replayed++;
            }
        }
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    /** Copies a dead-lettered message for publishing, retain flag cleared, optionally to another topic. */
    static Message replayMessage(Message original, String topic) {
        Message.Builder builder = Message.builder(topic == null ? original.topic() : topic)
                .payload(original.payload())
                .qos(original.qos())
                .retain(false)
                .payloadUtf8(original.payloadUtf8())
                .userProperties(original.userProperties());
        original.contentType().ifPresent(builder::contentType);
        original.responseTopic().ifPresent(builder::responseTopic);
        original.correlationData().ifPresent(data -> {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            builder.correlationData(bytes);
        });
        original.messageExpiryIntervalSeconds().ifPresent(builder::messageExpiryIntervalSeconds);
        return builder.build();
    }
}
