package io.petrel.broker.cli;

import io.petrel.broker.PetrelBroker;
import picocli.CommandLine;

/** Supplies the line that {@code petrel --version} prints. */
public final class PetrelVersion implements CommandLine.IVersionProvider {

    /**
     * Returns the version of the running broker: the {@code Implementation-Version} of its jar's
     * manifest, as {@link PetrelBroker#version()} reads it.
     */
    public static String current() {
        return PetrelBroker.version();
    }

    @Override
    public String[] getVersion() {
        return new String[] {"petrel " + current()};
    }
}
