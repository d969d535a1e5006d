package io.coedge.transport.bench;

import io.coedge.graph.Graph;
import io.coedge.partition.Accounting;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.tensor.Tensor;
import io.coedge.transport.runtime.CoEdgeCluster;
import io.coedge.transport.runtime.LocalWorkers;
import io.coedge.transport.runtime.ModelSpec;
import io.coedge.transport.runtime.PartitionedSession;
import io.coedge.transport.stat.CounterTypes;
import io.coedge.transport.stat.LiveCounters;
import io.coedge.zoo.ModelZoo;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * End to end, same run: a zoo model on 1 worker process with 1 thread against 2 other worker processes with 1
 * thread each (equal split), the initiator (this process, 1 thread) holding the input and running the tail in
 * both. Prints median latency, the speedup, and the share of the two split workers' time spent waiting for
 * transfers (scatter and halos).
 *
 * <p>Run: {@code java -Dcoedge.threads=1 -cp ... io.coedge.transport.bench.EndToEndBench [--models vgg16,resnet18]
 * [--repeat 5] [--cpu] [--pin] [--freeze-idle] [--no-head-split] [--sync every|fused:K] [--worker-jvm "FLAGS"]
 * [--nice-others N] [--idle-others all|workers|transport[:batch]]}. {@code --freeze-idle} stops the worker processes that take no part in an inference
 * ({@code SIGSTOP}) and continues them before their own configuration's ({@code SIGCONT}): a worker keeps one plan, so
 * the bench keeps a third worker process for the one-worker configuration, which otherwise polls for requests on the
 * cores the two split workers compute on.
 * {@code --nice-others N} gives every thread of the four processes but the devices' compute threads and the initiator's
 * main thread the nice value N after the warm-up (Linux {@code renice}): what the cores' other users cost the devices.
 * {@code --idle-others SCOPE} puts threads at Linux's {@code SCHED_IDLE} class after the warm-up ({@code chrt -i};
 * {@code SCOPE:batch} uses {@code SCHED_BATCH}), never the compute threads or the GC and VM threads: {@code all} every
 * other thread of the four processes (the initiator's waiting main thread and the compilers too), {@code workers} those
 * of the three workers, {@code transport} the workers' control loops and every process's media driver and Aeron
 * client. {@code --worker-jvm} adds JVM
 * options (space-separated) to all three workers, after the defaults, so a later flag overrides a default. {@code --pin} holds each worker that
 * computes in an inference on a core of its own ({@link Placement}); the initiator is not pinned. {@code --sync} sets where the two split workers
 * exchange halos (default {@code every}; {@code fused:K} trades redundant rows for fewer exchanges). Both configurations split the tail's fully connected layers by
 * output neurons across the devices with rows ({@link Plan#headSplit()}): the one worker computes all of them, the
 * two share them; {@code --no-head-split} leaves them whole on the initiator. Configurations alternate run by run so that load from elsewhere hits both alike.
 * {@code --cpu} adds, per configuration, where the CPU went during its timed runs (Linux): milliseconds per
 * inference on a CPU and runnable-but-waiting for one and how often a thread was preempted, per process and kind
 * of thread, the initiator's
 * kernel time (the tail), and the fastest run of each configuration. Timed runs start once the JIT compilers of the four JVMs are quiet (see
 * {@link #warmUp}): steady state is what is measured.
 */
public final class EndToEndBench {
    /** Warm-up rounds at least (each round: one inference per configuration). */
    private static final int WARM_UP = 10;
    /** Warm-up rounds at most, steady or not. */
    private static final int MAX_WARM_UP = 60;
    /** Warm-up rounds per check of the compilers' CPU. */
    private static final int WARM_UP_BATCH = 5;
    /** Steady: the compiler threads of all four JVMs took less than this per round in the last batch. */
    private static final double STEADY_JIT_MS_PER_ROUND = 2.0;

    private EndToEndBench() {
    }

    public static void main(String[] args) throws Exception {
        List<String> models = List.of("vgg16", "resnet18");
        int repeat = 5;
        boolean cpu = false;
        boolean headSplit = true;
        boolean pin = false;
        boolean freezeIdle = false;
        int niceOthers = 0;
        String idleOthers = null;
        Sync sync = Sync.every();
        List<String> workerJvm = List.of();
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--cpu" -> {
                    cpu = true;
                    i--;
                }
                case "--pin" -> {
                    pin = true;
                    i--;
                }
                case "--freeze-idle" -> {
                    freezeIdle = true;
                    i--;
                }
                case "--no-head-split" -> {
                    headSplit = false;
                    i--;
                }
                case "--sync" -> sync = Sync.parse(args[i + 1]);
                case "--nice-others" -> niceOthers = Integer.parseInt(args[i + 1]);
                case "--idle-others" -> {
                    idleOthers = args[i + 1];
                    idleOthers(List.of(), idleOthers); // a mistake is said now, not after the warm-up
                }
                case "--models" -> models = List.of(args[i + 1].split(","));
                case "--repeat" -> repeat = Integer.parseInt(args[i + 1]);
                case "--worker-jvm" -> workerJvm = List.of(args[i + 1].trim().split("\\s+"));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (System.getProperty("coedge.threads") == null) {
            System.setProperty("coedge.threads", "1");
        }
        List<String> flags = new java.util.ArrayList<>(List.of("-Xmx2g", "-Dcoedge.threads=1", "-XX:ActiveProcessorCount=1"));
        workerJvm.stream().filter(f -> !f.isEmpty()).forEach(flags::add);
        // LocalWorkers passes the threading mode and idle strategies on itself
        for (String p : List.of("coedge.transport.udpMtuBytes", "coedge.transport.loopbackMtuBytes")) {
            if (System.getProperty(p) != null) {
                flags.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        System.out.printf(Locale.ROOT, "%-10s %14s %14s %9s %16s%n", "model", "1 worker ms", "2 workers ms", "speedup",
                "halo wait share");
        try (LocalWorkers workers = LocalWorkers.start(3, null, flags);
                CoEdgeCluster cluster = CoEdgeCluster.connect(workers.clusterConfig());
                Arena arena = Arena.ofConfined()) {
            Placement placement = pin || freezeIdle ? new Placement(workers.process(0).pid(), workers.process(1).pid(),
                    workers.process(2).pid(), pin, freezeIdle) : null;
            try {
                run(models, cluster, workers, arena, placement, headSplit, sync, niceOthers, idleOthers, repeat, cpu);
            } finally {
                if (placement != null) {
                    placement.thaw(); // a stopped worker would not see the SIGTERM that stops it
                }
            }
        }
    }

    private static void run(List<String> models, CoEdgeCluster cluster, LocalWorkers workers, Arena arena,
                            Placement placement, boolean headSplit, Sync sync, int niceOthers, String idleOthers,
                            int repeat, boolean cpu)
            throws Exception {
        for (String model : models) {
            Graph g = ModelZoo.build(model);
            int h = g.inputs().get(0).shape()[2];
            Tensor in = Tensor.gaussian(arena, 1, g.inputs().get(0).shape());
            // Both split the head (VGG's FC layers) across the devices with rows: one worker computes all
            // of them, as the initiator would; two share them.
            Plan one = Plan.explicit(List.of(CoEdgeCluster.LOCAL_DEVICE, "worker1"), new int[] {0, h}, Sync.every())
                    .withTail(CoEdgeCluster.LOCAL_DEVICE).withHeadSplit(headSplit);
            // Separate workers for the two configurations, so neither re-plans (and re-prepares kernels) per run.
            Plan two = Plan.explicit(List.of(CoEdgeCluster.LOCAL_DEVICE, "worker2", "worker3"),
                    new int[] {0, h / 2, h - h / 2}, sync).withTail(CoEdgeCluster.LOCAL_DEVICE)
                    .withHeadSplit(headSplit);
            try (PartitionedSession s1 = cluster.deploy(ModelSpec.zoo(model, 0), one);
                    PartitionedSession s2 = cluster.deploy(ModelSpec.zoo(model, 0), two)) {
                List<Long> pids = new ArrayList<>(List.of(ProcessHandle.current().pid()));
                List<String> names = new ArrayList<>(List.of("initiator"));
                for (int w = 0; w < 3; w++) {
                    pids.add(workers.process(w).pid());
                    names.add(workers.names().get(w));
                }
                warmUp(s1, s2, arena, in, pids, names, placement);
                if (niceOthers > 0) {
                    System.out.printf(Locale.ROOT, "  reniced to %d: %d threads%n", niceOthers,
                            niceOthers(pids, niceOthers));
                }
                if (idleOthers != null) {
                    System.out.printf(Locale.ROOT, "  %s: %d threads%n", idleOthers, idleOthers(pids, idleOthers));
                }
                long[] t1 = new long[repeat];
                long[] t2 = new long[repeat];
                List<java.util.Map<String, Long>> opsBefore = computeByOp(cluster);
                long[] waitBefore = waits(cluster);
                long[] computeBefore = computes(cluster);
                ThreadCpu cpu1 = new ThreadCpu();
                ThreadCpu cpu2 = new ThreadCpu();
                long[] tail2 = new long[repeat];
                for (int r = 0; r < repeat; r++) {
                    var before = cpu ? ThreadCpu.snapshot(pids, names) : null;
                    place(placement, 1);
                    t1[r] = time(s1, arena, in);
                    var middle = cpu ? ThreadCpu.snapshot(pids, names) : null;
                    place(placement, 2);
                    t2[r] = time(s2, arena, in);
                    tail2[r] = localComputeNs(s2);
                    if (cpu) {
                        cpu1.add(before, middle);
                        cpu2.add(middle, ThreadCpu.snapshot(pids, names));
                    }
                }
                List<java.util.Map<String, Long>> opsAfter = computeByOp(cluster);
                long[] waitAfter = waits(cluster);
                long[] computeAfter = computes(cluster);
                double wait = 0;
                double busy = 0;
                for (int i = 1; i < waitAfter.length; i++) { // worker2 and worker3: the split configuration
                    wait += waitAfter[i] - waitBefore[i];
                    busy += waitAfter[i] - waitBefore[i] + computeAfter[i] - computeBefore[i];
                }
                double m1 = median(t1) / 1e6;
                double m2 = median(t2) / 1e6;
                System.out.printf(Locale.ROOT, "%-10s %14.1f %14.1f %8.2fx %15.1f%%%n", model, m1, m2, m1 / m2,
                        busy > 0 ? 100 * wait / busy : 0);
                if (cpu) {
                    System.out.print(cpu1.table(model + ", 1 worker (worker1)"));
                    System.out.print(cpu2.table(model + ", 2 workers (worker2, worker3)"));
                    System.out.print(opTable(opsBefore, opsAfter, workers.names(), repeat));
                    System.out.printf(Locale.ROOT, "  initiator's layers (tail), 2 workers: %.1f ms (median)%n",
                            median(tail2) / 1e6);
                    // on a machine others use, the fastest run of each shows what the configuration can do
                    double f1 = Arrays.stream(t1).min().orElse(0) / 1e6;
                    double f2 = Arrays.stream(t2).min().orElse(0) / 1e6;
                    System.out.printf(Locale.ROOT, "  fastest run: 1 worker %.1f ms, 2 workers %.1f ms, %.2fx%n", f1, f2,
                            f1 / f2);
                }
            }
        }
    }

    /**
     * Runs both configurations until steady: at least {@value #WARM_UP} rounds, then batches of
     * {@value #WARM_UP_BATCH} until the JIT compiler threads of the four JVMs (which share the cores with the
     * devices) took less than {@value #STEADY_JIT_MS_PER_ROUND} ms per round, or {@value #MAX_WARM_UP} rounds.
     * Steady state is what the bench measures: a compiler still busy during the timed runs takes a core from
     * the compute threads of the split configuration (two devices on two cores) more than from the one-worker
     * configuration, and says nothing about cooperation. Where {@code /proc} is missing the JIT cannot be
     * watched: then {@value #MAX_WARM_UP} rounds.
     *
     * @return the rounds run
     */
    private static int warmUp(PartitionedSession s1, PartitionedSession s2, Arena arena, Tensor in, List<Long> pids,
                              List<String> names, Placement placement) {
        int rounds = 0;
        long batchStart = -1;
        while (rounds < MAX_WARM_UP) {
            // snapshots every round, as the timed runs take them: their own code is then compiled here, not there
            ThreadCpu.snapshot(pids, names);
            place(placement, 1);
            s1.infer(arena, in);
            ThreadCpu.snapshot(pids, names);
            place(placement, 2);
            s2.infer(arena, in);
            long jit = ThreadCpu.jitNs(ThreadCpu.snapshot(pids, names));
            rounds++;
            if (rounds >= WARM_UP && (rounds - WARM_UP) % WARM_UP_BATCH == 0) {
                double perRound = (jit - batchStart) / 1e6 / WARM_UP_BATCH;
                System.err.printf(Locale.ROOT, "warm-up: %d rounds, compilers %.1f ms per round%n", rounds, perRound);
                if (jit >= 0 && perRound < STEADY_JIT_MS_PER_ROUND) {
                    break;
                }
                batchStart = jit;
            } else if (rounds == WARM_UP - WARM_UP_BATCH) {
                batchStart = jit;
            }
        }
        return rounds;
    }

    /**
     * Before each inference: {@code --pin} gives the workers that compute in it a core each (the one worker CPU 0; the
     * two split workers CPU 0 and CPU 1) and the idle ones every core, so that neither configuration's idle workers are
     * held on a computing worker's core (Linux {@code taskset}, all threads of the process); {@code --freeze-idle}
     * stops the idle ones and continues the others ({@code kill -STOP}, {@code -CONT}).
     */
    private record Placement(long worker1, long worker2, long worker3, boolean pin, boolean freeze) {
        void apply(int configuration) {
            String all = "0-" + (Runtime.getRuntime().availableProcessors() - 1);
            String second = Runtime.getRuntime().availableProcessors() > 1 ? "1" : "0";
            if (configuration == 1) {
                if (freeze) {
                    signal("CONT", worker1);
                    signal("STOP", worker2, worker3);
                }
                if (pin) {
                    pinProcess(worker2, all);
                    pinProcess(worker3, all);
                    pinProcess(worker1, "0");
                }
            } else {
                if (freeze) {
                    signal("CONT", worker2, worker3);
                    signal("STOP", worker1);
                }
                if (pin) {
                    pinProcess(worker1, all);
                    pinProcess(worker2, "0");
                    pinProcess(worker3, second);
                }
            }
        }

        /** Continues every worker: a stopped one would not see the SIGTERM that ends it. */
        void thaw() {
            if (freeze) {
                signal("CONT", worker1, worker2, worker3);
            }
        }
    }

    /** Sends signal {@code name} to the processes (Linux {@code kill}). */
    private static void signal(String name, long... pids) {
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + name));
        for (long pid : pids) {
            cmd.add(Long.toString(pid));
        }
        runTool(cmd, "--freeze-idle needs kill", "send SIG" + name + " to " + cmd.subList(2, cmd.size()));
    }

    private static void place(Placement placement, int configuration) {
        if (placement != null) {
            placement.apply(configuration);
        }
    }

    /**
     * Gives every thread of the given processes except the devices' compute threads and the initiator's main thread
     * the nice value {@code nice}: control loops, media drivers, compilers, GC.
     */
    private static int niceOthers(List<Long> pids, int nice) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("renice", "-n", Integer.toString(nice), "-p"));
        int k = 0;
        for (Task t : tasks(pids)) {
            boolean keep = t.comm().startsWith("coedge-compute") || (t.process() == 0 && t.tid().equals(Long.toString(pids.get(0))))
                    || (t.process() == 0 && t.comm().equals("main"));
            if (!keep) {
                cmd.add(t.tid());
                k++;
            }
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.waitFor();
        return k;
    }

    /**
     * Puts the threads {@code spec} names ({@code all}, {@code workers} or {@code transport}, optionally
     * {@code :batch}) at {@code SCHED_IDLE} (or {@code SCHED_BATCH}) with {@code chrt}; returns how many.
     */
    static int idleOthers(List<Long> pids, String spec) throws Exception {
        String[] parts = spec.split(":", 2);
        String scope = parts[0];
        if (!List.of("all", "workers", "transport").contains(scope)
                || parts.length == 2 && !parts[1].equals("batch")) {
            throw new IllegalArgumentException("--idle-others " + spec + ": use all, workers or transport, optionally :batch");
        }
        String policy = parts.length == 2 ? "-b" : "-i";
        int k = 0;
        for (Task t : tasks(pids)) {
            String tid = t.tid();
            boolean first = tid.equals(Long.toString(pids.get(t.process())));
            String kind = ThreadCpu.kind(t.comm());
            // All but the compute, GC/VM and unclassified threads. The process's first thread only waits for the
            // JVM to end; the initiator's main thread is another.
            boolean eligible = !first && !kind.equals("compute") && !kind.equals("GC and VM") && !kind.equals("other");
            boolean chosen = switch (scope) {
                case "all" -> eligible;
                case "workers" -> t.process() > 0 && eligible;
                default -> kind.equals("media driver") || kind.equals("aeron client")
                        || t.process() > 0 && kind.startsWith("main") && !first;
            };
            if (chosen) {
                runTool(List.of("chrt", policy, "-p", "0", tid), "--idle-others needs chrt (util-linux)",
                        "set the scheduling class of thread " + tid);
                k++;
            }
        }
        return k;
    }

    /** A thread of process number {@code process} of the list given to {@link #tasks}. */
    private record Task(int process, String tid, String comm) {
    }

    /** The threads of the given processes (Linux {@code /proc}), in process order. */
    private static List<Task> tasks(List<Long> pids) throws java.io.IOException {
        List<Task> out = new ArrayList<>();
        for (int i = 0; i < pids.size(); i++) {
            try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc", Long.toString(pids.get(i)), "task"))) {
                for (var t : tasks.toList()) {
                    out.add(new Task(i, t.getFileName().toString(), java.nio.file.Files.readString(t.resolve("comm")).trim()));
                }
            }
        }
        return out;
    }

    /** Sets the CPUs of every thread of process {@code pid} (Linux {@code taskset}). */
    private static void pinProcess(long pid, String cpus) {
        runTool(List.of("taskset", "-a", "-p", "-c", cpus, Long.toString(pid)), "--pin needs taskset (util-linux)",
                "pin process " + pid + " to CPUs " + cpus);
    }

    /**
     * Runs a system tool to its end: {@code missing} says which option needs it when it cannot be started, {@code what}
     * what failed when it exits with an error (its output follows).
     */
    private static void runTool(List<String> cmd, String missing, String what) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("could not " + what + ": " + out.trim());
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException(missing + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + cmd.get(0) + " ran", e);
        }
    }

    private static long time(PartitionedSession s, Arena arena, Tensor in) {
        long t0 = System.nanoTime();
        s.infer(arena, in);
        return System.nanoTime() - t0;
    }

    /** Kernel time of the initiator's own layers (the tail) in the session's last inference. */
    private static long localComputeNs(PartitionedSession s) {
        Accounting a = s.lastCounted();
        int local = s.plan().devices().indexOf(CoEdgeCluster.LOCAL_DEVICE);
        long ns = 0;
        for (int i = 0; i < a.stages(); i++) {
            ns += a.computeNs(local, i);
        }
        return ns;
    }

    /** Each worker's compute time so far by operator type (the "all" total left out). */
    private static List<java.util.Map<String, Long>> computeByOp(CoEdgeCluster c) {
        List<java.util.Map<String, Long>> out = new ArrayList<>();
        for (String dir : c.workerDirectories().values()) {
            java.util.Map<String, Long> m = new java.util.TreeMap<>();
            try (LiveCounters l = LiveCounters.open(dir)) {
                for (LiveCounters.Sample x : l.snapshot()) {
                    if (x.typeId() == CounterTypes.COMPUTE_NS && !x.subject().equals("all")) {
                        m.merge(x.subject(), x.value(), Long::sum);
                    }
                }
            }
            out.add(m);
        }
        return out;
    }

    /** Compute per inference by operator type, per worker: where a split worker's extra time goes. */
    private static String opTable(List<java.util.Map<String, Long>> before, List<java.util.Map<String, Long>> after,
                                  List<String> names, int runs) {
        java.util.Set<String> ops = new java.util.TreeSet<>();
        after.forEach(m -> ops.addAll(m.keySet()));
        StringBuilder b = new StringBuilder("  compute by operator (ms per inference)");
        for (String n : names) {
            b.append(String.format(Locale.ROOT, " %9s", n));
        }
        b.append('\n');
        for (String op : ops) {
            b.append(String.format(Locale.ROOT, "  %-38s", op));
            for (int w = 0; w < after.size(); w++) {
                long d = after.get(w).getOrDefault(op, 0L) - before.get(w).getOrDefault(op, 0L);
                b.append(String.format(Locale.ROOT, " %9.2f", d / 1e6 / runs));
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static long[] waits(CoEdgeCluster c) {
        return sum(c, CounterTypes.LINK_WAIT_NS);
    }

    private static long[] computes(CoEdgeCluster c) {
        return sum(c, CounterTypes.COMPUTE_NS);
    }

    private static long[] sum(CoEdgeCluster c, int type) {
        List<Long> out = new ArrayList<>();
        for (String dir : c.workerDirectories().values()) {
            try (LiveCounters l = LiveCounters.open(dir)) {
                out.add(l.snapshot().stream().filter(x -> x.typeId() == type
                        && (type != CounterTypes.COMPUTE_NS || x.subject().equals("all"))).mapToLong(LiveCounters.Sample::value).sum());
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

}
