package io.petrel.broker.examples;

import io.petrel.api.DeadLetter;
import io.petrel.api.DeadLetterQuery;
import io.petrel.broker.PetrelBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LightSwitchExampleTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private PetrelBroker broker;

    @BeforeEach
    void startBroker() {
        broker = PetrelBroker.builder().port(0).build();
        broker.start();
    }

    @AfterEach
    void closeBroker() {
        broker.close();
    }

    @Test
    void failedCommandsBecomeDeadLetters() throws Exception {
        LightSwitchExample example = new LightSwitchExample();
        example.subscribe(broker);

        LightSwitchExample.publishCommands(broker);

        await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 2);
        List<DeadLetter> letters = broker.deadLetters().list(DeadLetterQuery.all(), 10).letters();
        assertEquals("room/bedroom/light", letters.get(0).message().topic());
        assertEquals(DeadLetter.Reason.UNPROCESSABLE, letters.get(0).reason());
        assertEquals(1, letters.get(0).attempts());
        assertEquals(LightSwitchExample.GARAGE_LIGHT, letters.get(1).message().topic());
        assertEquals(DeadLetter.Reason.ATTEMPTS_EXHAUSTED, letters.get(1).reason());
        assertEquals(3, letters.get(1).attempts());
        assertEquals(Map.of("kitchen", true, "hall", false), example.lights());
    }

    @Test
    void replaySwitchesGarageLight() throws Exception {
        LightSwitchExample example = new LightSwitchExample();
        example.subscribe(broker);
        LightSwitchExample.publishCommands(broker);
        await().atMost(WAIT).until(() -> broker.deadLetters().count(DeadLetterQuery.all()) == 2);

        example.garageControllerOnline();
        long replayed = LightSwitchExample.replayGarage(broker);
        long purged = LightSwitchExample.purgeLightCommands(broker);

        assertEquals(1, replayed);
        assertEquals(1, purged);
        await().atMost(WAIT).until(() -> example.lights().containsKey("garage"));
        assertEquals(Map.of("kitchen", true, "hall", false, "garage", true), example.lights());
        assertEquals(0, broker.deadLetters().count(DeadLetterQuery.all()));
    }
}
