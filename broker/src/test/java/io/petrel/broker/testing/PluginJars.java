package io.petrel.broker.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Builds hook plugin jars in tests: the plugin classes are compiled at test time, so that they exist
 * only in the jar and not on the test class path, as for a real plugin.
 */
public final class PluginJars {

    private PluginJars() {
    }

    /**
     * Compiles Java sources, keyed by class name, against the test class path into a new directory
     * under {@code temp}; returns that directory.
     */
    public static Path compile(Path temp, String name, Map<String, String> sources) throws IOException {
        Path sourceDirectory = Files.createDirectories(temp.resolve(name + "-src"));
        Path classDirectory = Files.createDirectories(temp.resolve(name + "-classes"));
        List<String> arguments = new ArrayList<>(List.of("--release", "17", "-d", classDirectory.toString(),
                "-classpath", System.getProperty("java.class.path")));
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Path file = sourceDirectory.resolve(source.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.getValue());
            arguments.add(file.toString());
        }
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        int status = compiler.run(null, null, null, arguments.toArray(String[]::new));
        assertEquals(0, status, "plugin sources failed to compile");
        return classDirectory;
    }

    /** Packs the classes of {@code classDirectory} and one {@code META-INF/services} file per interface. */
    public static void jar(Path jarFile, Path classDirectory, Map<String, List<String>> services) throws IOException {
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(jarFile));
             Stream<Path> files = Files.walk(classDirectory)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                jar.putNextEntry(new JarEntry(classDirectory.relativize(file).toString().replace('\\', '/')));
                Files.copy(file, jar);
                jar.closeEntry();
            }
            for (Map.Entry<String, List<String>> service : services.entrySet()) {
                jar.putNextEntry(new JarEntry("META-INF/services/" + service.getKey()));
                jar.write((String.join("\n", service.getValue()) + "\n").getBytes(StandardCharsets.UTF_8));
                jar.closeEntry();
            }
        }
    }
}
