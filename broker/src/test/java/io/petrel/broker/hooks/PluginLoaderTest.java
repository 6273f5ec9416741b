package io.petrel.broker.hooks;

import static io.petrel.broker.hooks.HookTestSupport.connect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.petrel.api.BrokerException;
import io.petrel.api.hook.Authorizer;
import io.petrel.api.hook.BrokerInterceptor;
import io.petrel.broker.PetrelBroker;
import io.petrel.broker.testing.MqttPackets;
import io.petrel.broker.testing.PluginJars;
import io.petrel.broker.testing.RawMqttClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads hooks from jars built by each test: the plugin classes are compiled at test time, so that
 * they exist only in the jar and not on the test class path, as for a real plugin.
 */
class PluginLoaderTest {

    private static final int V5 = MqttPackets.MQTT_5;

    private static final String BLOCKING_AUTHORIZER = """
            package plugin;

            import io.petrel.api.hook.AuthorizationAction;
            import io.petrel.api.hook.AuthorizationDecision;
            import io.petrel.api.hook.Authorizer;
            import io.petrel.api.hook.ClientInfo;

            public final class BlockingAuthorizer implements Authorizer {
                @Override
                public AuthorizationDecision authorize(ClientInfo client, AuthorizationAction action, String topic) {
                    boolean blocked = action == AuthorizationAction.PUBLISH && topic.startsWith("blocked/");
                    return blocked ? AuthorizationDecision.DENY : AuthorizationDecision.ALLOW;
                }
            }
            """;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private PetrelBroker broker;

    @TempDir
    Path temp;

    @AfterEach
    void closeBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void authorizerAndInterceptorLoadedFromJar() throws IOException {
        Path plugins = Files.createDirectories(temp.resolve("plugins"));
        Path classes = compile("one", Map.of("plugin.BlockingAuthorizer", BLOCKING_AUTHORIZER,
                "plugin.SuffixOne", suffixInterceptor("SuffixOne", "+one")));
        jar(plugins.resolve("security.jar"), classes, Map.of(
                Authorizer.class.getName(), List.of("plugin.BlockingAuthorizer"),
                BrokerInterceptor.class.getName(), List.of("plugin.SuffixOne")));

        broker = HookTestSupport.start(registry, builder -> builder.plugins(plugins));

        try (RawMqttClient client = connect(broker, V5, "plugged")) {
            client.subscribe(V5, 0, "tag/#");
            client.send(MqttPackets.publish(V5, "blocked/a", "x", 1, 1));
            int blockedCode = client.receive(MqttPackets.PUBACK).reasonCode();
            client.send(MqttPackets.publish(V5, "tag/a", "x", 0, 0));

            assertEquals(0x87, blockedCode);
            assertEquals("x+one", client.receive(MqttPackets.PUBLISH).payload(V5));
        }
    }

    @Test
    void jarsLoadInFileNameOrder() throws IOException {
        Path plugins = Files.createDirectories(temp.resolve("plugins"));
        Path first = compile("first", Map.of("plugin.SuffixA", suffixInterceptor("SuffixA", "-a")));
        Path second = compile("second", Map.of("plugin.SuffixB", suffixInterceptor("SuffixB", "-b")));
        jar(plugins.resolve("20-second.jar"), second, Map.of(BrokerInterceptor.class.getName(), List.of("plugin.SuffixB")));
        jar(plugins.resolve("10-first.jar"), first, Map.of(BrokerInterceptor.class.getName(), List.of("plugin.SuffixA")));

        broker = HookTestSupport.start(registry, builder -> builder.plugins(plugins));

        try (RawMqttClient client = connect(broker, V5, "ordered")) {
            client.subscribe(V5, 0, "order/#");
            client.send(MqttPackets.publish(V5, "order/a", "x", 0, 0));

            assertEquals("x-a-b", client.receive(MqttPackets.PUBLISH).payload(V5));
        }
    }

    @Test
    void missingDirectoryHoldsNoPlugins() {
        Plugins plugins = PluginLoader.load(temp.resolve("absent"));

        assertEquals(0, plugins.size());
    }

    @Test
    void fileInsteadOfDirectoryRejected() throws IOException {
        Path file = Files.writeString(temp.resolve("plugins"), "not a directory");

        BrokerException failure = assertThrows(BrokerException.class, () -> PluginLoader.load(file));

        assertTrue(failure.getMessage().contains("not a directory"), failure.getMessage());
    }

    @Test
    void missingProviderClassRejectedWithDirectory() throws IOException {
        Path plugins = Files.createDirectories(temp.resolve("plugins"));
        Path classes = compile("broken", Map.of("plugin.BlockingAuthorizer", BLOCKING_AUTHORIZER));
        jar(plugins.resolve("broken.jar"), classes, Map.of(Authorizer.class.getName(), List.of("plugin.Missing")));

        BrokerException failure = assertThrows(BrokerException.class, () -> PluginLoader.load(plugins));

        assertTrue(failure.getMessage().contains(plugins.toAbsolutePath().toString()), failure.getMessage());
    }

    private static String suffixInterceptor(String className, String suffix) {
        return """
                package plugin;

                import io.petrel.api.hook.BrokerInterceptor;
                import io.petrel.api.hook.InterceptResult;
                import io.petrel.api.hook.PublishEvent;
                import java.util.concurrent.CompletableFuture;
                import java.util.concurrent.CompletionStage;

                public final class %s implements BrokerInterceptor {
                    @Override
                    public CompletionStage<InterceptResult<PublishEvent>> onPublishInbound(PublishEvent event) {
                        PublishEvent changed = event.withPayload(event.message().payloadAsString() + "%s");
                        return CompletableFuture.completedFuture(InterceptResult.proceed(changed));
                    }
                }
                """.formatted(className, suffix);
    }

    private Path compile(String name, Map<String, String> sources) throws IOException {
        return PluginJars.compile(temp, name, sources);
    }

    private static void jar(Path jarFile, Path classDirectory, Map<String, List<String>> services) throws IOException {
        PluginJars.jar(jarFile, classDirectory, services);
    }
}
