package io.petrel.broker.hooks;

import io.petrel.api.Message;
import io.petrel.api.Qos;
import io.petrel.api.UnprocessableMessageException;
import io.petrel.api.hook.BrokerInterceptor;
import io.petrel.api.hook.DeadLetterEvent;
import io.petrel.broker.BrokerConfig;
import io.petrel.broker.PetrelBroker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

class DeadLetterInterceptorTest {

    @Test
    void deadLetterReachesInterceptor() throws Exception {
        List<DeadLetterEvent> events = new CopyOnWriteArrayList<>();
        BrokerInterceptor interceptor = new BrokerInterceptor() {
            @Override
            public void onDeadLetter(DeadLetterEvent event) {
                events.add(event);
            }
        };
        try (PetrelBroker broker = PetrelBroker.builder().config(BrokerConfig.builder().port(0).build())
                .interceptor(interceptor).build()) {
            broker.start();
            broker.subscribe("room/+/light", message -> {
                throw new UnprocessableMessageException("payload is not on or off");
            });

            broker.publish(Message.builder("room/hall/light").payload("dim").qos(Qos.AT_LEAST_ONCE).build())
                    .toCompletableFuture().join();

            await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 1);
            DeadLetterEvent event = events.get(0);
            assertEquals("room/+/light", event.subscriptionFilter());
            assertEquals("room/hall/light", event.message().topic());
            assertEquals(UnprocessableMessageException.class.getName(), event.exceptionClass());
            assertEquals("payload is not on or off", event.exceptionMessage());
            assertEquals(1, event.attempts());
        }
    }
}
