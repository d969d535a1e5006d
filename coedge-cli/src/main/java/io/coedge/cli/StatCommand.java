package io.coedge.cli;

import io.coedge.transport.stat.StatMain;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code coedge stat}: the live counters of the CoEdge processes on this machine, like AeronStat ({@link StatMain}). */
@Command(name = "stat", sortOptions = false, mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Print the live counters (FLOP/s per layer type, bytes/s and latency per link, inferences, "
                + "dropped frames) of every CoEdge worker and coordinator running on this machine.")
final class StatCommand extends CoedgeCommand {
    @Option(names = "--dir", paramLabel = "BASE_DIR",
            description = "Base directory of the processes' Aeron directories (default: coedge.transport.baseDir or its default).")
    String dir;

    @Option(names = "--interval-ms", paramLabel = "MS", description = "Time between samples (default 1000).")
    Long intervalMs;

    @Option(names = "--count", paramLabel = "N", description = "Samples to print, then exit (default: until Ctrl-C).")
    Integer count;

    @Override
    protected int execute() throws InterruptedException {
        List<String> args = new ArrayList<>();
        if (dir != null) {
            args.addAll(List.of("--dir", dir));
        }
        if (intervalMs != null) {
            args.addAll(List.of("--interval-ms", intervalMs.toString()));
        }
        if (count != null) {
            args.addAll(List.of("--count", count.toString()));
        }
        out().flush();
        PrintStream ps = new PrintStream(new WriterOutputStream(out()), true, StandardCharsets.UTF_8);
        PrintStream es = new PrintStream(new WriterOutputStream(err()), true, StandardCharsets.UTF_8);
        int rc = StatMain.run(args.toArray(String[]::new), ps, es);
        ps.flush();
        es.flush();
        return rc;
    }

    /** Lets StatMain print to the command line's writers (tests capture them). */
    private static final class WriterOutputStream extends java.io.OutputStream {
        private final java.io.PrintWriter w;
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

        WriterOutputStream(java.io.PrintWriter w) {
            this.w = w;
        }

        @Override
        public void write(int b) {
            line.write(b);
            if (b == '\n') {
                flush();
            }
        }

        @Override
        public void flush() {
            w.print(line.toString(StandardCharsets.UTF_8));
            w.flush();
            line.reset();
        }
    }
}
