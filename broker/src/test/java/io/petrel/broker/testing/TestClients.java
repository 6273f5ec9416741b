package io.petrel.broker.testing;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.common.MqttException;

/**
 * Cleanup of the MQTT 5.0 client libraries' clients for {@code finally} blocks. Each method
 * disconnects a client only while it is connected, so that a client the broker already disconnected
 * does not throw and hide the assertion or exception that ended the test.
 */
public final class TestClients {

    private static final long DISCONNECT_TIMEOUT_MILLIS = 5_000;

    private TestClients() {
    }

    /** Disconnects a connected Paho client and releases its resources. */
    public static void disconnect(MqttClient client) throws MqttException {
        if (client.isConnected()) {
            client.disconnect(DISCONNECT_TIMEOUT_MILLIS);
        }
        client.close(true);
    }

    /** Disconnects a connected asynchronous Paho client and releases its resources. */
    public static void disconnect(MqttAsyncClient client) throws MqttException {
        if (client.isConnected()) {
            client.disconnect(DISCONNECT_TIMEOUT_MILLIS).waitForCompletion(DISCONNECT_TIMEOUT_MILLIS);
        }
        client.close(true);
    }

    /** Disconnects a connected HiveMQ client. */
    public static void disconnect(Mqtt5BlockingClient client) {
        if (client.getState().isConnected()) {
            client.disconnect();
        }
    }
}
