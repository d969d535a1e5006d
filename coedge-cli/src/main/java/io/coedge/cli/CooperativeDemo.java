package io.coedge.cli;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.KernelProvider;
import io.coedge.partition.Geometry;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.tensor.Tensor;
import io.coedge.transport.runtime.CoEdgeCluster;
import io.coedge.transport.runtime.LocalWorkers;
import io.coedge.transport.runtime.ModelSpec;
import io.coedge.transport.runtime.PartitionedSession;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code coedge demo}: starts a few worker processes on this machine with different CPU caps (cgroup v1 cpu
 * quotas when run as root, else plain processes with one compute thread each), splits a zoo model's rows
 * across them in proportion to their caps, and prints who computed which rows, the halo traffic, the latency
 * against the fastest worker alone, and the top-5 compared with a one-device run. Everything it started is
 * stopped at the end, also on failure or Ctrl-C.
 */
final class CooperativeDemo {
    private final PrintWriter out;
    private final String model;
    private final double[] caps;
    private final int warmup;
    private final int repeat;
    private final List<KernelProvider> providers;

    CooperativeDemo(PrintWriter out, String model, double[] caps, int warmup, int repeat, List<KernelProvider> providers) {
        this.out = out;
        this.model = model;
        this.caps = caps.clone();
        this.warmup = warmup;
        this.repeat = repeat;
        this.providers = providers;
    }

    /** Default caps for {@code n} workers: 1, 1/2, 1/3, ... cores. */
    static double[] defaultCaps(int n) {
        double[] c = new double[n];
        for (int i = 0; i < n; i++) {
            c[i] = 1.0 / (i + 1);
        }
        return c;
    }

    /** Parses {@code --cpu 1,0.5}: cores per worker, each in (0, 64]. */
    static double[] parseCaps(String text) {
        String[] parts = text.split(",");
        double[] c = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                c[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UserError("--cpu takes cores per worker, e.g. 1,0.5; '" + parts[i].trim() + "' is not a number");
            }
            if (!(c[i] > 0.01 && c[i] <= 64)) {
                throw new UserError("--cpu: each worker's cap must be between 0.01 and 64 cores, got " + parts[i].trim());
            }
        }
        if (c.length < 1 || c.length > 4) {
            throw new UserError("the demo runs 1 to 4 workers, --cpu names " + c.length);
        }
        return c;
    }

    /** Input rows per worker in proportion to the caps (largest remainders). */
    static int[] proportionalRows(double[] caps, int height) {
        return io.coedge.planner.Baselines.apportion(caps, height);
    }

    int run() throws IOException {
        ModelSource.Loaded loaded = ModelSource.load(model, null);
        if (!loaded.origin().startsWith("model zoo")) {
            throw new UserError("the cooperative demo runs zoo models (" + String.join(", ", io.coedge.zoo.ModelZoo.names())
                    + "); use 'coedge demo --local --model " + model + "' or 'coedge run --model " + model
                    + " --local-workers 2'");
        }
        Graph graph = loaded.graph();
        int[] shape = graph.inputs().get(0).shape();
        int n = caps.length;
        boolean capped = CpuCaps.available();
        out.printf(Locale.ROOT, "CoEdge cooperative demo: %s split by rows across %d worker processes on this machine, "
                + "bundled sample image%n", loaded.name(), n);
        if (loaded.origin().startsWith("model zoo")) {
            out.println("(zoo weights are seeded random numbers, not trained: the classes carry no meaning, but every "
                    + "run and every device gives the same ones)");
        }
        StringBuilder capText = new StringBuilder();
        for (int i = 0; i < n; i++) {
            capText.append(i == 0 ? "" : ", ").append("worker").append(i + 1).append(' ')
                    .append(capped ? CpuCaps.format(caps[i]) : "uncapped");
        }
        out.println("devices: " + capText + (capped ? " (cgroup v1 cpu quota), one compute thread each"
                : " (CPU caps need root and the cgroup v1 cpu controller; here the workers differ only in their "
                        + "rows), one compute thread each"));
        out.printf("starting %d worker%s...%n", n, n == 1 ? "" : "s");
        out.flush();
        float[] input = ImagePreprocessor.toTensor(ImagePreprocessor.sample(), shape);
        long started = System.nanoTime();
        Thread hook = null;
        CpuCaps cgroups = capped ? CpuCaps.create() : null;
        LocalWorkers workers = null;
        try {
            // Stops the workers on Ctrl-C, even while they start: they are this process's children.
            hook = stopChildrenOnExit(cgroups);
            workers = DistributedRun.WorkerSet.startLocal(n, List.of("-Xmx1g", "-D" + ExecOptions.THREADS_PROPERTY + "=1"));
            if (cgroups != null) {
                for (int i = 0; i < n; i++) {
                    cgroups.cap(workers.names().get(i), workers.process(i).pid(), caps[i]);
                }
            }
            try (CoEdgeCluster cluster = connect(workers)) {
                out.printf(Locale.ROOT, "workers up in %.1f s%n", (System.nanoTime() - started) / 1e9);
                return cooperate(cluster, graph, shape, input);
            }
        } finally {
            if (workers != null) {
                workers.close();
                out.printf("stopped %d worker%s%n", n, n == 1 ? "" : "s");
            }
            if (cgroups != null) {
                cgroups.close();
            }
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException exiting) {
                    // the hook runs anyway
                }
            }
            out.flush();
        }
    }

    private static CoEdgeCluster connect(LocalWorkers workers) {
        try {
            return CoEdgeCluster.connect(workers.clusterConfig());
        } catch (IllegalStateException e) {
            throw new UserError("the demo's workers did not answer: " + e.getMessage());
        }
    }

    private int cooperate(CoEdgeCluster cluster, Graph graph, int[] shape, float[] input) {
        int h = shape[2];
        List<String> devices = new ArrayList<>();
        devices.add(CoEdgeCluster.LOCAL_DEVICE);
        devices.addAll(cluster.workers());
        int[] workerRows = proportionalRows(caps, h);
        int[] rows = new int[devices.size()];
        System.arraycopy(workerRows, 0, rows, 1, workerRows.length);
        Plan split = Plan.explicit(devices, rows, Sync.every()).withTail(CoEdgeCluster.LOCAL_DEVICE);
        Plan alone = Plan.explicit(List.of(CoEdgeCluster.LOCAL_DEVICE, devices.get(1)), new int[] {0, h}, Sync.every())
                .withTail(CoEdgeCluster.LOCAL_DEVICE);
        ModelSpec spec = ModelSpec.zoo(model, 0);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.fromLogical(arena, input, shape);
            float[] got;
            long[] splitNs;
            long[] aloneNs;
            int[] aloneTop;
            try (PartitionedSession s = cluster.deploy(spec, split);
                    PartitionedSession one = cluster.deploy(spec, alone)) {
                // Both warm up before either is timed: fresh workers are still compiling their kernels (slowly,
                // under a CPU cap), and the first plan timed would pay for it.
                out.printf(Locale.ROOT, "warming up (%d run%s of each plan)...%n", warmup, warmup == 1 ? "" : "s");
                out.flush();
                s.refresh();
                run(s, x, warmup);
                one.refresh();
                run(one, x, warmup);
                s.refresh();
                splitNs = run(s, x, repeat);
                try (Arena a = Arena.ofConfined()) {
                    got = s.infer(a, x).toLogicalArray();
                }
                out.println();
                out.println("who computed which rows (rows in proportion to the CPU caps; 'local' is this process: it "
                        + "scatters the input, gathers, and runs the tail):");
                DistributedRun.printDevices(out, Geometry.of(graph, s.plan()), s);
                one.refresh();
                aloneNs = run(one, x, repeat);
                try (Arena a = Arena.ofConfined()) {
                    aloneTop = OutputReport.topK(one.infer(a, x).toLogicalArray(), 5);
                }
            }
            double splitMs = Inference.medianAndP90Ms(splitNs)[0];
            double aloneMs = Inference.medianAndP90Ms(aloneNs)[0];
            out.printf(Locale.ROOT, "%nlatency (median of %d after %d warm-up): %s split across %d workers; %s on %s alone "
                            + "(one device, %s): %.2fx%n", repeat, warmup, OutputReport.formatMs(splitMs), caps.length,
                    OutputReport.formatMs(aloneMs), devices.get(1), CpuCaps.available() ? CpuCaps.format(caps[0]) : "uncapped",
                    aloneMs / splitMs);
            Inference one = new Inference(graph, providers.isEmpty() ? Executor.providers("") : providers);
            Inference.Result ref = one.run(input, 0, 1);
            float[] refOut = ref.outputs().values().iterator().next();
            String outName = ref.outputs().keySet().iterator().next();
            out.println();
            out.println("split result:");
            OutputReport.print(out, graph, outName, ref.shapes().get(outName), got);
            int[] topSplit = OutputReport.topK(got, 5);
            int[] topOne = OutputReport.topK(refOut, 5);
            double diff = 0;
            double max = 0;
            for (int i = 0; i < refOut.length; i++) {
                diff = Math.max(diff, Math.abs(refOut[i] - got[i]));
                max = Math.max(max, Math.abs(refOut[i]));
            }
            boolean same = Arrays.equals(topSplit, topOne) && diff <= DistributedRun.TOLERANCE * max;
            out.printf(Locale.ROOT, "top-5 one device (this process): %s; %s alone: %s%n", Arrays.toString(topOne),
                    devices.get(1), Arrays.toString(aloneTop));
            String difference = diff == 0 ? "every logit equal bit for bit"
                    : String.format(Locale.ROOT, "max |difference| %.3g = %.2g of max |logit|", diff, diff / max);
            out.printf(Locale.ROOT, "check: %s (top-5 %s, %s)%n",
                    same ? "the split answer is the same as one device's" : "the split answer DIFFERS from one device's",
                    Arrays.equals(topSplit, topOne) ? "identical" : "different", difference);
            return same ? 0 : 1;
        }
    }

    private static long[] run(PartitionedSession s, Tensor x, int times) {
        long[] ns = new long[times];
        for (int i = 0; i < times; i++) {
            try (Arena a = Arena.ofConfined()) {
                long t0 = System.nanoTime();
                s.infer(a, x);
                ns[i] = System.nanoTime() - t0;
            }
        }
        return ns;
    }

    /**
     * A shutdown hook that stops every worker process this one started (SIGTERM, then SIGKILL after 10 s) and
     * removes the CPU caps: Ctrl-C never leaves workers behind.
     */
    static Thread stopChildrenOnExit(CpuCaps cgroups) {
        Thread t = new Thread(() -> {
            // Only the workers: the launcher's stderr filter is a child of this JVM too and must keep running.
            String worker = io.coedge.transport.runtime.WorkerMain.class.getName();
            List<ProcessHandle> children = ProcessHandle.current().children()
                    .filter(p -> p.info().arguments().map(a -> Arrays.asList(a).contains(worker)).orElse(false))
                    .toList();
            children.forEach(ProcessHandle::destroy);
            long deadline = System.nanoTime() + 10_000_000_000L;
            for (ProcessHandle p : children) {
                try {
                    p.onExit().get(Math.max(1, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (Exception e) {
                    p.destroyForcibly();
                }
            }
            if (cgroups != null) {
                cgroups.close();
            }
        }, "coedge-stop-workers");
        Runtime.getRuntime().addShutdownHook(t);
        return t;
    }
}
