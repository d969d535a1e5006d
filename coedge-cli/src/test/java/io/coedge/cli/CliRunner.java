package io.coedge.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the CLI in-process with captured output. */
record CliRunner(int exitCode, String out, String err) {
    /** As a test would wire it: a bare CommandLine around {@link Main}. */
    static CliRunner run(String... args) {
        return run(new CommandLine(new Main()), args);
    }

    /** As the launcher wires it, with CoEdge's usage-error handler. */
    static CliRunner runAsLauncher(String... args) {
        return run(Main.commandLine(), args);
    }

    private static CliRunner run(CommandLine cmd, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new CliRunner(code, out.toString(), err.toString());
    }
}
