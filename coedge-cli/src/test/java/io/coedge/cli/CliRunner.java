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
        // Options such as --kernels and --threads set system properties, as they must for the worker processes a
        // run starts; in-process, one test's choice must not become the next test's default.
        java.util.Properties before = (java.util.Properties) System.getProperties().clone();
        int code;
        try {
            code = cmd.execute(args);
        } finally {
            System.setProperties(before);
        }
        return new CliRunner(code, out.toString(), err.toString());
    }
}
