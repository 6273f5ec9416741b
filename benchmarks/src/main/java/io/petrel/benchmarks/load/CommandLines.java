package io.petrel.benchmarks.load;

import picocli.CommandLine;

/** Builds the command lines of the load driver and the broker launcher. */
final class CommandLines {

    private CommandLines() {
    }

    /**
     * Returns a command line for {@code command} on which an invalid option prints one line,
     * {@code error: MESSAGE; see --help}, rather than a stack trace or the whole usage text, and
     * exits with picocli's status for invalid input (2).
     */
    static CommandLine withOneLineErrors(Object command) {
        CommandLine commandLine = new CommandLine(command);
        commandLine.setParameterExceptionHandler((error, args) -> {
            CommandLine failed = error.getCommandLine();
            failed.getErr().println("error: " + error.getMessage() + "; see --help");
            return failed.getCommandSpec().exitCodeOnInvalidInput();
        });
        return commandLine;
    }
}
