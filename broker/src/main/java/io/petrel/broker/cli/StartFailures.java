package io.petrel.broker.cli;

import io.petrel.broker.BrokerConfig;
import io.petrel.broker.config.ConfigLoader;
import io.petrel.broker.config.LoadedConfig;
import java.net.BindException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Turns an exception from building or starting the broker into the one line that the launcher
 * prints, with a hint on the setting to change when the listener could not bind.
 */
final class StartFailures {

    private StartFailures() {
    }

    /**
     * Describes a failed start. A port in use becomes {@code HOST:PORT is already in use} with a hint
     * to change {@code listener.port}. Any other bind failure, such as an address that is not local,
     * keeps the exception's message and gets a hint to change {@code listener.host}.
     */
    static String describe(RuntimeException failure, LoadedConfig loaded) {
        BrokerConfig config = loaded.config();
        if (causedByAddressInUse(failure)) {
            return formatAddress(config.host(), config.port()) + " is already in use"
                    + hint(BrokerConfig.LISTENER_PORT, loaded);
        }
        if (causedByBindFailure(failure)) {
            return messageOf(failure) + hint(BrokerConfig.LISTENER_HOST, loaded);
        }
        return messageOf(failure);
    }

    /** Returns the exception's message, or its class name when it has none. */
    static String messageOf(Throwable failure) {
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getName() : message;
    }

    /**
     * Returns true if a cause of the failure reports EADDRINUSE. The JDK and Netty's native transport
     * both word it "Address already in use". The failure's own message is not checked, because it is
     * the broker's summary rather than the operating system's error.
     */
    private static boolean causedByAddressInUse(Throwable failure) {
        for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
            if (String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT).contains("address already in use")) {
                return true;
            }
        }
        return false;
    }

    /** Returns true if a cause is a bind failure: a BindException, or Netty's native "bind(..) failed". */
    private static boolean causedByBindFailure(Throwable failure) {
        for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof BindException || String.valueOf(cause.getMessage()).startsWith("bind(")) {
                return true;
            }
        }
        return false;
    }

    private static String hint(String key, LoadedConfig loaded) {
        String where = loaded.file().map(Path::toString).map(file -> "in " + file).orElse("in a file given with --config");
        return " (set " + key + " " + where + " or " + ConfigLoader.environmentVariable(key) + ")";
    }

    private static String formatAddress(String host, int port) {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
