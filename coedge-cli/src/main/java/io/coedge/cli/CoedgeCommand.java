package io.coedge.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Base of every subcommand: output goes to the command line's writers (so tests can capture it), and
 * any exception becomes one {@code coedge: error: } line and an exit code, whichever way the
 * {@link picocli.CommandLine} was set up.
 */
abstract class CoedgeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-v", "--verbose"}, description = "Show stack traces of errors (also COEDGE_DEBUG=1).")
    boolean verbose;

    @Override
    public final Integer call() {
        try {
            return execute();
        } catch (Throwable t) {
            out().flush();
            return ErrorReporter.report(t, err(), verbose || ErrorReporter.debugFromEnvironment());
        } finally {
            out().flush();
        }
    }

    /** The command's work; returns the exit code. */
    protected abstract int execute() throws Exception;

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
