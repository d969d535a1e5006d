package io.coedge.transport.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Where the CPU goes, per process and kind of thread, from Linux's {@code /proc/PID/task/TID/schedstat}
 * (nanoseconds on a CPU, and nanoseconds runnable but waiting for one) and {@code comm} (thread name).
 * {@link #snapshot} before and after what is measured; {@link #add} the difference. On systems without
 * {@code /proc} it records nothing.
 */
final class ThreadCpu {
    /** Kinds of thread, by name. */
    static String kind(String comm) {
        if (comm.startsWith("coedge-compute") || comm.startsWith("coedge-device")) {
            return "compute";
        }
        if (comm.startsWith("[sender") || comm.contains("conductor]") || comm.startsWith("[receiver")
                || comm.startsWith("driver-") || comm.startsWith("coedge-driver")) {
            return "media driver";
        }
        if (comm.startsWith("aeron-client")) {
            return "aeron client";
        }
        if (comm.startsWith("C1 ")) {
            return "JIT C1";
        }
        if (comm.startsWith("C2 ")) {
            return "JIT C2";
        }
        if (comm.startsWith("GC ") || comm.startsWith("G1 ") || comm.startsWith("VM ")) {
            return "GC and VM";
        }
        if (comm.equals("java") || comm.equals("main")) {
            return "main (control loop, waits, tail)";
        }
        return "other";
    }

    private final Map<String, long[]> totals = new TreeMap<>();
    private int samples;

    /** CPU and run-queue nanoseconds by "process / kind" for the given processes, named in {@code names}. */
    static Map<String, long[]> snapshot(List<Long> pids, List<String> names) {
        Map<String, long[]> m = new TreeMap<>();
        for (int i = 0; i < pids.size(); i++) {
            Path tasks = Path.of("/proc", Long.toString(pids.get(i)), "task");
            try (Stream<Path> s = Files.list(tasks)) {
                for (Path t : s.toList()) {
                    try {
                        String comm = Files.readString(t.resolve("comm")).trim();
                        String[] f = Files.readString(t.resolve("schedstat")).trim().split(" ");
                        long[] v = m.computeIfAbsent(names.get(i) + " / " + kind(comm), k -> new long[2]);
                        v[0] += Long.parseLong(f[0]);
                        v[1] += Long.parseLong(f[1]);
                    } catch (IOException | RuntimeException e) {
                        // a thread that ended meanwhile
                    }
                }
            } catch (IOException e) {
                // no /proc: nothing to record
            }
        }
        return m;
    }

    /** CPU nanoseconds of the JIT compiler threads in a {@link #snapshot}, or -1 when it holds none (no /proc). */
    static long jitNs(Map<String, long[]> snapshot) {
        long ns = 0;
        boolean any = false;
        for (Map.Entry<String, long[]> e : snapshot.entrySet()) {
            if (e.getKey().contains(" / JIT")) {
                ns += e.getValue()[0];
                any = true;
            }
        }
        return any ? ns : -1;
    }

    /** Adds {@code after - before} as one more measured run. */
    void add(Map<String, long[]> before, Map<String, long[]> after) {
        samples++;
        for (Map.Entry<String, long[]> e : after.entrySet()) {
            long[] b = before.getOrDefault(e.getKey(), new long[2]);
            long[] t = totals.computeIfAbsent(e.getKey(), k -> new long[2]);
            t[0] += e.getValue()[0] - b[0];
            t[1] += e.getValue()[1] - b[1];
        }
    }

    /** A table of milliseconds per run: on a CPU, and runnable but waiting for a CPU. */
    String table(String title) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s (ms per inference)%n  %-52s %8s %10s%n", title,
                "process / threads", "on cpu", "cpu wait"));
        long cpu = 0;
        for (Map.Entry<String, long[]> e : totals.entrySet()) {
            double on = e.getValue()[0] / 1e6 / Math.max(1, samples);
            double wait = e.getValue()[1] / 1e6 / Math.max(1, samples);
            cpu += e.getValue()[0];
            if (on >= 0.05 || wait >= 0.05) {
                sb.append(String.format(Locale.ROOT, "  %-52s %8.1f %10.1f%n", e.getKey(), on, wait));
            }
        }
        sb.append(String.format(Locale.ROOT, "  %-52s %8.1f%n", "all", cpu / 1e6 / Math.max(1, samples)));
        return sb.toString();
    }
}
