package io.petrel.broker.testing;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * A Paho MQTT 5.0 callback that records the messages the client receives and the DISCONNECT the
 * broker sends, for a test thread to wait on. Paho calls it on its own threads.
 */
public final class PahoRecorder implements MqttCallback {

    /** How long {@link #take()} waits for a message. */
    public static final Duration RECEIVE_TIMEOUT = Duration.ofSeconds(5);

    /** One message as Paho delivered it. */
    public record Received(String topic, MqttMessage message) {
    }

    private final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<MqttDisconnectResponse> disconnect = new CompletableFuture<>();

    /**
     * Returns the next message, waiting up to {@link #RECEIVE_TIMEOUT}.
     *
     * @throws AssertionError if no message arrives in time
     */
    public Received take() throws InterruptedException {
        Received received = messages.poll(RECEIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (received == null) {
            throw new AssertionError("Paho received no message within " + RECEIVE_TIMEOUT);
        }
        return received;
    }

    /** Returns the messages received and not yet taken. */
    public BlockingQueue<Received> messages() {
        return messages;
    }

    /** Returns a future completed with the broker's DISCONNECT, or the loss of the connection. */
    public CompletableFuture<MqttDisconnectResponse> disconnect() {
        return disconnect;
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
        messages.add(new Received(topic, message));
    }

    @Override
    public void disconnected(MqttDisconnectResponse response) {
        disconnect.complete(response);
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
    }

    @Override
    public void deliveryComplete(IMqttToken token) {
    }

    @Override
    public void connectComplete(boolean reconnect, String serverUri) {
    }

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {
    }
}
