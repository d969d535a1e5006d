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
 * (nanoseconds on a CPU, and nanoseconds runnable but waiting for one), {@code status} (how often a thread lost its
 * CPU while runnable: each time, another thread took its core, and its caches with it) and {@code comm} (thread
 * name).
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
                        long[] v = m.computeIfAbsent(names.get(i) + " / " + kind(comm), k -> new long[3]);
                        v[0] += Long.parseLong(f[0]);
                        v[1] += Long.parseLong(f[1]);
                        v[2] += preemptions(Files.readString(t.resolve("status")));
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

    /** {@code nonvoluntary_ctxt_switches} of a {@code /proc/.../status}: how often the thread lost its CPU while runnable. */
    static long preemptions(String status) {
        int at = status.indexOf("nonvoluntary_ctxt_switches:");
        if (at < 0) {
            return 0;
        }
        int end = status.indexOf('\n', at);
        return Long.parseLong(status.substring(at + "nonvoluntary_ctxt_switches:".length(), end < 0 ? status.length() : end).trim());
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
            long[] b = before.getOrDefault(e.getKey(), new long[3]);
            long[] t = totals.computeIfAbsent(e.getKey(), k -> new long[3]);
            for (int i = 0; i < t.length; i++) {
                t[i] += e.getValue()[i] - b[i];
            }
        }
    }

    /** A table per run: milliseconds on a CPU, milliseconds runnable but waiting for a CPU, and times preempted. */
    String table(String title) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s (per inference)%n  %-52s %9s %11s %10s%n", title,
                "process / threads", "on cpu ms", "cpu wait ms", "preempted"));
        long cpu = 0;
        for (Map.Entry<String, long[]> e : totals.entrySet()) {
            double on = e.getValue()[0] / 1e6 / Math.max(1, samples);
            double wait = e.getValue()[1] / 1e6 / Math.max(1, samples);
            cpu += e.getValue()[0];
            double preempted = (double) e.getValue()[2] / Math.max(1, samples);
            if (on >= 0.05 || wait >= 0.05) {
                sb.append(String.format(Locale.ROOT, "  %-52s %9.1f %11.1f %10.1f%n", e.getKey(), on, wait, preempted));
            }
        }
        sb.append(String.format(Locale.ROOT, "  %-52s %9.1f%n", "all", cpu / 1e6 / Math.max(1, samples)));
        return sb.toString();
    }
}
