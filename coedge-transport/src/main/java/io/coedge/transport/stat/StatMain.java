package io.coedge.transport.stat;

import io.coedge.transport.TransportConfiguration;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code coedge stat [--dir BASE_DIR] [--interval-ms MS] [--count N]}: prints the CoEdge counters of every
 * process running under the base directory (default {@link TransportConfiguration#baseDir()}), with rates
 * per second between samples, like AeronStat.
 */
public final class StatMain {
    private StatMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        int rc = run(args, System.out);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    public static int run(String[] args, PrintStream out) throws InterruptedException {
        return run(args, out, System.err);
    }

    /** Prints the counters to {@code out} and its one-line errors and warnings to {@code err}; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
        String base = TransportConfiguration.baseDir();
        long intervalMs = 1000;
        int count = 0;
        try {
            for (int i = 0; i < args.length; i += 2) {
                String v = i + 1 < args.length ? args[i + 1] : null;
                if (v == null) {
                    throw new IllegalArgumentException(args[i] + " needs a value");
                }
                switch (args[i]) {
                    case "--dir" -> base = v;
                    case "--interval-ms" -> intervalMs = Long.parseLong(v);
                    case "--count" -> count = Integer.parseInt(v);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (intervalMs < 10) {
                throw new IllegalArgumentException("--interval-ms must be at least 10");
            }
        } catch (IllegalArgumentException e) {
            err.println("coedge: error: " + e.getMessage() + "; usage: coedge stat [--dir BASE_DIR] [--interval-ms MS] [--count N]");
            return 2;
        }
        List<String> dirs = LiveCounters.processDirs(base);
        if (dirs.isEmpty()) {
            err.println("coedge: error: no CoEdge processes are running under " + base
                    + " (start a worker, or give --dir with its base directory)");
            return 2;
        }
        List<LiveCounters> open = new ArrayList<>();
        for (String d : dirs) {
            try {
                open.add(LiveCounters.open(d));
            } catch (RuntimeException e) {
                err.println("coedge: warning: skipping " + d + ": " + e.getMessage());
            }
        }
        try {
            List<List<LiveCounters.Sample>> prev = new ArrayList<>();
            for (LiveCounters c : open) {
                prev.add(c.snapshot());
            }
            long prevNs = System.nanoTime();
            for (int n = 0; count == 0 || n < count; n++) {
                Thread.sleep(intervalMs);
                long now = System.nanoTime();
                out.printf("%-16s %-16s %-24s %18s %16s%n", "process", "counter", "subject", "total", "per second");
                for (int i = 0; i < open.size(); i++) {
                    List<LiveCounters.Sample> cur = open.get(i).snapshot();
                    Map<String, Double> rates = LiveCounters.rates(prev.get(i), cur, now - prevNs);
                    for (LiveCounters.Sample s : cur) {
                        Double r = rates.get(s.key());
                        out.printf("%-16s %-16s %-24s %18d %16s%n", s.process(), s.what(), s.subject(), s.value(),
                                r == null ? "-" : String.format("%.1f", r));
                    }
                    prev.set(i, cur);
                }
                out.println();
                out.flush();
                prevNs = now;
            }
        } finally {
            open.forEach(LiveCounters::close);
        }
        return 0;
    }
}
