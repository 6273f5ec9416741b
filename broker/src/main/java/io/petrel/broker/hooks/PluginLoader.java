package io.petrel.broker.hooks;

import io.petrel.api.BrokerException;
import io.petrel.api.hook.Authenticator;
import io.petrel.api.hook.Authorizer;
import io.petrel.api.hook.BrokerInterceptor;
import io.petrel.api.hook.EnhancedAuthenticator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;

/**
 * Loads hooks from the {@code *.jar} files of a plugins directory with {@link ServiceLoader}.
 *
 * <p>A plugin jar lists its implementations in {@code META-INF/services/} files named after the
 * interface ({@code io.petrel.api.hook.Authenticator}, {@code io.petrel.api.hook.Authorizer},
 * {@code io.petrel.api.hook.BrokerInterceptor}, {@code io.petrel.api.hook.EnhancedAuthenticator}),
 * and each implementation has a public no-argument constructor. The jars share one class loader
 * whose parent is the broker's, so plugins see {@code petrel-broker-api} and their own classes.
 * Jars are read in file name order, which fixes the order of the hooks; implementations that the
 * broker's own class path provides are ignored.
 */
public final class PluginLoader {

    private static final Logger LOG = LoggerFactory.getLogger(PluginLoader.class);

    private PluginLoader() {
    }

    /**
     * Loads the hooks of {@code directory}. A directory that does not exist contains no plugins.
     *
     * @throws BrokerException if {@code directory} is not a directory, cannot be listed, or a plugin
     *                         cannot be loaded or instantiated; the message names the directory
     */
    public static Plugins load(Path directory) {
        if (!Files.exists(directory)) {
            LOG.info("No plugins directory at {}; no plugins loaded", directory.toAbsolutePath());
            return Plugins.none();
        }
        if (!Files.isDirectory(directory)) {
            throw new BrokerException("invalid plugins directory " + directory.toAbsolutePath()
                    + ": it is not a directory; point it at a directory of plugin jars");
        }
        List<Path> jars = jarsIn(directory);
        if (jars.isEmpty()) {
            LOG.info("No plugin jars in {}", directory.toAbsolutePath());
            return Plugins.none();
        }
        URLClassLoader loader = new URLClassLoader("petrel-plugins", urls(jars), PluginLoader.class.getClassLoader());
        try {
            Plugins plugins = new Plugins(providers(Authenticator.class, loader), providers(Authorizer.class, loader),
                    providers(BrokerInterceptor.class, loader), providers(EnhancedAuthenticator.class, loader), loader);
            LOG.info("Loaded {} authenticators, {} authorizers, {} interceptors and {} enhanced authenticators"
                            + " from {} jars in {}", plugins.authenticators().size(), plugins.authorizers().size(),
                    plugins.interceptors().size(), plugins.enhancedAuthenticators().size(), jars.size(),
                    directory.toAbsolutePath());
            return plugins;
        } catch (ServiceConfigurationError | LinkageError | RuntimeException e) {
            closeQuietly(loader, e);
            throw new BrokerException("failed to load the plugins in " + directory.toAbsolutePath() + ": "
                    + e.getMessage() + "; check that each META-INF/services entry names a public class with a"
                    + " public no-argument constructor", e);
        }
    }

    private static List<Path> jarsIn(Path directory) {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.filter(path -> path.getFileName().toString().endsWith(".jar"))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new BrokerException("failed to list the plugins directory " + directory.toAbsolutePath(), e);
        }
    }

    private static URL[] urls(List<Path> jars) {
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            try {
                urls[i] = jars.get(i).toUri().toURL();
            } catch (MalformedURLException e) {
                throw new UncheckedIOException("invalid plugin jar path " + jars.get(i), e);
            }
        }
        return urls;
    }

    /** Instantiates the providers of {@code type} that the plugin jars themselves define. */
    private static <T> List<T> providers(Class<T> type, URLClassLoader loader) {
        List<T> found = new ArrayList<>();
        ServiceLoader.load(type, loader).stream()
                .filter(provider -> provider.type().getClassLoader() == loader)
                .forEach(provider -> found.add(provider.get()));
        return found;
    }

    private static void closeQuietly(URLClassLoader loader, Throwable failure) {
        try {
            loader.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
