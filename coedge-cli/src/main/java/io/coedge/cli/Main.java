package io.coedge.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code coedge} command line. Subcommands live in their own classes and are listed here.
 *
 * <p>Exit codes: 0 success, 2 bad input or usage (with one {@code coedge: error: } line on stderr),
 * 1 an unexpected failure.
 */
@Command(name = "coedge", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "CoEdge: cooperative CNN inference across edge devices.",
        subcommands = {RunCommand.class, InspectCommand.class, InfoCommand.class, DemoCommand.class, PlanCommand.class,
                ProfileCommand.class, WorkerCommand.class, StatCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** Entry point of the launcher script. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** A command line with CoEdge's usage-error format ({@code coedge: error: ...}, exit code 2). */
    public static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setParameterExceptionHandler(Main::usageError);
        return cmd;
    }

    static int usageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(ErrorReporter.PREFIX + e.getMessage());
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options.");
        err.flush();
        return ErrorReporter.USAGE;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        spec.commandLine().usage(err);
        err.flush();
        return ErrorReporter.USAGE;
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "development build" : v;
    }

    /** Version from the jar manifest when there is one. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"coedge " + version() + " (Java " + Runtime.version() + ")"};
        }
    }
}
