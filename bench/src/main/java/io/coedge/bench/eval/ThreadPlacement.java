package io.coedge.bench.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Keeps an emulated device's CPU quota for its computing: moves the helper threads of every device process (the
 * embedded Aeron media driver's threads and the JIT compiler threads) out of the device's cgroup into
 * {@link Testbed#NET_CGROUP} and {@link Testbed#JIT_CGROUP}; cgroup v1 places single threads.
 *
 * <p>Why: a device of the cost model computes at its profiled rate whatever it sends and receives, as on the
 * multi-core boards the presets describe, where the transport and the JIT run beside the one compute thread. Inside
 * a 0.2-0.5 core quota they took that rate away. Measured on VGG-16 (per-thread CPU from /proc, cgroup cpu.stat): the
 * driver thread used 8 % of the compute thread's CPU on a worker at the edge of a two-device split (the calibration)
 * but 18 % on the same worker in the middle of a three-device plan (twice the halo traffic), so the middle worker
 * computed 10-17 % slower than calibrated; and after each plan change the C2 compiler thread of the 0.2-core worker
 * took half its quota for more than 10 s, through the warm-up and the timed runs (that worker computed 2.7 times
 * slower than predicted).
 *
 * <p>The scan repeats ({@link #start}) because the coordinator's driver starts after its process does, and a
 * thread started later belongs to its creator's cgroup.
 */
final class ThreadPlacement implements AutoCloseable {
    /** Where a thread goes: the driver's cgroup, the JIT's cgroup, or nowhere (it stays in the device's cgroup). */
    enum Role { NET, JIT }

    private final List<Path> deviceCgroups;
    private final Set<String> moved = new HashSet<>();
    private final Thread thread;
    private volatile boolean running = true;
    private int net;
    private int jit;

    private ThreadPlacement(List<Path> deviceCgroups) {
        this.deviceCgroups = List.copyOf(deviceCgroups);
        this.thread = new Thread(this::loop, "coedge-eval-thread-placement");
        this.thread.setDaemon(true);
    }

    /**
     * Moves the helper threads of the processes in {@code deviceCgroups} now, and again every 250 ms until
     * {@link #close}.
     */
    static ThreadPlacement start(List<Path> deviceCgroups) {
        ThreadPlacement p = new ThreadPlacement(deviceCgroups);
        p.scan();
        p.thread.start();
        return p;
    }

    /**
     * The role of a thread by its name as the kernel keeps it ({@code /proc/PID/task/TID/comm}, at most 15
     * characters): Aeron's driver agents ({@code [sender,receiver,driver-conductor]} in the shared threading mode,
     * {@code [sender,receiver]}, {@code sender}, {@code receiver}, {@code driver-conductor} otherwise, and the relaxed
     * duty-cycle thread {@code coedge-driver-NAME} of the INVOKER mode) and HotSpot's
     * compiler threads ({@code C1 CompilerThread0}, {@code C2 CompilerThread0}); null for every other thread.
     */
    static Role role(String comm) {
        String c = comm.strip();
        if (c.startsWith("[sender") || c.startsWith("[receiver") || c.equals("sender") || c.equals("receiver")
                || c.startsWith("driver-conducto") || c.startsWith("coedge-driver-")) {
            return Role.NET;
        }
        String l = c.toLowerCase(Locale.ROOT);
        if (l.startsWith("c1 compilerthre") || l.startsWith("c2 compilerthre") || l.startsWith("jvmci compiler")) {
            return Role.JIT;
        }
        return null;
    }

    /** Helper threads moved so far, e.g. "driver threads 4, compiler threads 8". */
    synchronized String summary() {
        return "driver threads " + net + ", compiler threads " + jit;
    }

    private void loop() {
        while (running) {
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            }
            scan();
        }
    }

    synchronized void scan() {
        for (Path cg : deviceCgroups) {
            List<String> pids;
            try {
                pids = Files.readAllLines(cg.resolve("cgroup.procs"));
            } catch (IOException e) {
                continue; // the testbed went down
            }
            for (String pid : pids) {
                if (pid.isBlank()) {
                    continue;
                }
                List<Path> tasks = new ArrayList<>();
                try (Stream<Path> s = Files.list(Path.of("/proc", pid.strip(), "task"))) {
                    s.forEach(tasks::add);
                } catch (IOException e) {
                    continue; // the process ended
                }
                for (Path t : tasks) {
                    String tid = t.getFileName().toString();
                    if (moved.contains(tid)) {
                        continue;
                    }
                    try {
                        Role r = role(Files.readString(t.resolve("comm")));
                        if (r == null) {
                            continue;
                        }
                        Files.writeString((r == Role.NET ? Testbed.NET_CGROUP : Testbed.JIT_CGROUP).resolve("tasks"), tid);
                        moved.add(tid);
                        if (r == Role.NET) {
                            net++;
                        } else {
                            jit++;
                        }
                    } catch (IOException e) {
                        // the thread ended between the listing and the move
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
