package io.coedge.cli;

import io.coedge.graph.Graph;
import io.coedge.graph.KernelProvider;
import io.coedge.partition.Geometry;
import io.coedge.partition.PartitionedRun;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.partition.Transfer;
import io.coedge.planner.Baselines;
import io.coedge.planner.DeviceProfiles;
import io.coedge.planner.PlanReport;
import io.coedge.planner.PlanResult;
import io.coedge.planner.Planner;
import io.coedge.tensor.Tensor;
import io.coedge.transport.TransportContext;
import io.coedge.transport.runtime.ClusterConfig;
import io.coedge.transport.runtime.CoEdgeCluster;
import io.coedge.transport.runtime.LocalWorkers;
import io.coedge.transport.runtime.ModelSpec;
import io.coedge.transport.runtime.PartitionedSession;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code coedge run} with a row split: in this process ({@code --devices N}), or on workers
 * ({@code --cluster FILE}, {@code --local-workers N}), with the rows from {@code --partition} or from the
 * planner ({@code --strategy}). Prints the plan, per-device rows, FLOPs, halo and peak bytes, the output
 * (top-5), the latency, and whether the output equals the one-device run.
 *
 * <p>The one-device reference runs once by default (one extra inference, untimed): a split that changed the
 * answer would otherwise go unnoticed. {@code --no-check} skips it.
 */
final class DistributedRun {
    /** The one-device result may differ from a split one by float rounding only: this much of max |ref|. */
    static final double TOLERANCE = 1e-5;

    /** What {@code run} prepared before the inference. */
    record Input(ModelSource.Loaded loaded, String modelArgument, boolean shapeGiven, float[] values, String text,
                 int warmup, int repeat, List<KernelProvider> providers, Integer threads) {
    }

    /**
     * Outputs of the split run, in logical order.
     *
     * @param differs true when the check found the split output different from the one-device run's
     */
    record Outcome(Map<String, float[]> outputs, Map<String, int[]> shapes, long[] latenciesNs, boolean differs) {
        Outcome(Map<String, float[]> outputs, Map<String, int[]> shapes, long[] latenciesNs) {
            this(outputs, shapes, latenciesNs, false);
        }

        Outcome differing() {
            return new Outcome(outputs, shapes, latenciesNs, true);
        }
    }

    private final PartitionOptions options;
    private final PrintWriter out;

    DistributedRun(PartitionOptions options, PrintWriter out) {
        this.options = options;
        this.out = out;
    }

    /** Runs the split inference and prints the report; returns the outcome (for --output-raw). */
    Outcome run(Input in) {
        options.validate();
        Graph graph = in.loaded().graph();
        int[] shape = graph.inputs().get(0).shape();
        if (shape.length != 4 || shape[0] != 1) {
            throw new UserError("a split run divides the rows of one batch-1 NCHW input; model " + in.loaded().name()
                    + " takes " + Arrays.toString(shape));
        }
        List<String> names = null;
        String tail = null;
        ClusterConfig config = null;
        if (options.withWorkers()) {
            names = new ArrayList<>();
            names.add(CoEdgeCluster.LOCAL_DEVICE);
            if (options.cluster != null) {
                config = ClusterConfig.read(options.cluster);
                for (ClusterConfig.Member m : config.workers()) {
                    names.add(m.name());
                }
                if (names.subList(1, names.size()).contains(CoEdgeCluster.LOCAL_DEVICE)) {
                    throw new UserError("the cluster file names a worker '" + CoEdgeCluster.LOCAL_DEVICE
                            + "', the name of this process in plans; rename it");
                }
            } else {
                for (int i = 1; i <= options.localWorkers; i++) {
                    names.add("worker" + i); // the names LocalWorkers gives
                }
            }
            tail = CoEdgeCluster.LOCAL_DEVICE;
        } else if (options.devices != null) {
            names = Plan.deviceNames(options.devices);
        }
        // Everything about the options is checked before anything runs or starts.
        Planned planned = plan(graph, names, tail);
        ModelSpec spec = options.withWorkers() ? modelSpec(in) : null;
        Inference reference = new Inference(graph, in.providers());
        RunCommand.printHeader(out, in.loaded(), in.text(), shape, reference);
        if (planned.note() != null) {
            out.println(planned.note());
        }
        out.flush();
        Outcome outcome;
        if (options.withWorkers()) {
            try (WorkerSet workers = WorkerSet.open(options, config, in.threads(), out)) {
                if (!workers.cluster().workers().equals(names.subList(1, names.size()))) {
                    throw new IllegalStateException("the workers " + workers.cluster().workers() + " are not the planned "
                            + names.subList(1, names.size()));
                }
                outcome = runOnWorkers(workers.cluster(), spec, graph, planned.plan(), in);
            }
        } else {
            outcome = runInProcess(graph, planned.plan(), in);
        }
        Outcome result = outcome;
        result.outputs().forEach((name, values) ->
                OutputReport.print(out, graph, name, result.shapes().get(name), values));
        OutputReport.printLatency(out, outcome.latenciesNs(), in.warmup());
        if (planned.predicted() != null) {
            double measured = Inference.medianAndP90Ms(outcome.latenciesNs())[0];
            PlanResult p = planned.predicted();
            out.printf(Locale.ROOT, "planner (%s): predicted %s and %.3f J; measured median %s (%+.0f%% against the "
                            + "prediction)%n", p.strategy(), OutputReport.formatMs(p.latencySeconds() * 1e3), p.energyJoules(),
                    OutputReport.formatMs(measured), 100 * (measured / (p.latencySeconds() * 1e3) - 1));
        }
        if (!options.noCheck && !compare(reference, in, outcome)) {
            return outcome.differing();
        }
        return outcome;
    }

    /** A plan and, when the planner chose it, the planner's prediction for it. */
    record Planned(Plan plan, PlanResult predicted, String note) {
    }

    /**
     * The plan for the options. {@code names}: the devices in plan order, or null for in-process runs that take
     * their devices from the profiles. {@code tail}: the device that must run the tail, or null.
     */
    Planned plan(Graph graph, List<String> names, String tail) {
        int h = graph.inputs().get(0).shape()[2];
        Sync sync;
        try {
            sync = options.sync == null ? Sync.every() : Sync.parse(options.sync);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        if (options.strategy != null) {
            return strategyPlan(graph, names, tail, sync);
        }
        Plan plan;
        if (tail != null && options.partition == null) {
            // With workers the default leaves this process free for the scatter, gather and tail.
            int[] rows = new int[names.size()];
            int workers = names.size() - 1;
            for (int i = 1; i < rows.length; i++) {
                rows[i] = h / workers + (i - 1 < h % workers ? 1 : 0);
            }
            plan = Plan.explicit(names, rows, sync);
        } else {
            plan = Plan.fromSpec(options.partition, names, h, sync);
        }
        if (options.tail != null) {
            if (!names.contains(options.tail)) {
                throw new UserError("unknown device '" + options.tail + "' for --tail; the devices are " + names);
            }
            plan = plan.withTail(options.tail);
        }
        return new Planned(plan.withHeadSplit(options.headSplit), null, null);
    }

    private Planned strategyPlan(Graph graph, List<String> names, String tail, Sync sync) {
        String strategy = options.strategy.trim().toLowerCase(Locale.ROOT);
        if (!Baselines.NAMES.contains(strategy)) {
            throw new UserError("unknown --strategy '" + options.strategy + "'; use one of " + String.join(", ", Baselines.NAMES));
        }
        if (options.tail != null) {
            throw new UserError("--tail goes with --partition; with --strategy the initiator (first device of the profile) runs the tail");
        }
        double deadline = Planner.parseDeadline(options.deadline);
        int expected = names != null ? names.size() : -1;
        String profileArg = options.devicesProfile;
        if (profileArg == null) {
            if (expected < 0) {
                throw new UserError("--strategy in this process needs --devices N or --devices-profile FILE|LIST");
            }
            profileArg = String.join(",", Collections.nCopies(expected, "desktop"));
        }
        DeviceProfiles.Cluster profiles = DeviceProfiles.resolve(profileArg);
        int n = profiles.devices().size();
        if (expected >= 0 && n != expected) {
            throw new UserError("--devices-profile describes " + n + " device" + (n == 1 ? "" : "s") + " but the run has "
                    + expected + " " + names + "; give one profile per device, in this order");
        }
        if (tail != null && profiles.initiatorIndex() != 0) {
            throw new UserError("with workers the initiator is this process, the first device; the device profile names '"
                    + profiles.initiator() + "' instead");
        }
        PlanReport report = PlanReport.of(graph, profiles, deadline, Planner.Objective.ENERGY);
        PlanResult latencyMinimal = report.strategy("latency");
        if (!latencyMinimal.feasible() && latencyMinimal.prediction().memoryOk()) {
            throw new UserError(String.format(Locale.ROOT, "deadline %s cannot be met on these devices: the latency-minimal "
                    + "plan %s is predicted to take %s; give --deadline %.0fms or more, or faster devices",
                    OutputReport.formatMs(deadline * 1e3), Arrays.toString(latencyMinimal.rows()),
                    OutputReport.formatMs(latencyMinimal.latencySeconds() * 1e3),
                    Math.ceil(latencyMinimal.latencySeconds() * 1e3)));
        }
        PlanResult chosen = report.strategy(strategy);
        List<String> planNames = names != null ? names : profiles.devices().stream().map(d -> d.name()).toList();
        String note = String.format(Locale.ROOT, "planner: strategy %s, deadline %s, devices %s: predicted %s, %.3f J%s", strategy,
                OutputReport.formatMs(deadline * 1e3), profileArg, OutputReport.formatMs(chosen.latencySeconds() * 1e3),
                chosen.energyJoules(), chosen.feasible() ? "" : " (misses the deadline: " + chosen.note() + ")");
        Plan plan = new Plan(0, planNames, chosen.rows(), sync,
                tail != null ? tail : planNames.get(profiles.initiatorIndex()), options.headSplit);
        return new Planned(plan, chosen, note);
    }

    private Outcome runInProcess(Graph graph, Plan plan, Input in) {
        PartitionedRun run = new PartitionedRun(graph, plan, in.providers());
        long[] latencies = new long[in.repeat()];
        PartitionedRun.Report last = null;
        for (int i = 0; i < in.warmup() + in.repeat(); i++) {
            last = run.run(in.values());
            if (i >= in.warmup()) {
                latencies[i - in.warmup()] = last.latencyNs();
            }
        }
        out.printf(Locale.ROOT, "split:   %d devices in this process, stepped one after another on one thread (the "
                + "latency is their sum, not a parallel time)%n", plan.deviceCount());
        last.print(out);
        long halo = 0;
        for (PartitionedRun.DeviceRow d : last.devices()) {
            halo += d.haloBytesSent();
        }
        out.printf(Locale.ROOT, "halo traffic: %,d B per inference in total%n", halo);
        return new Outcome(last.outputs(), last.shapes(), latencies);
    }

    private Outcome runOnWorkers(CoEdgeCluster cluster, ModelSpec spec, Graph graph, Plan plan, Input in) {
        int[] shape = graph.inputs().get(0).shape();
        long[] latencies = new long[in.repeat()];
        Map<String, float[]> outputs = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        String outName = graph.outputs().get(0);
        try (Arena arena = Arena.ofConfined();
                PartitionedSession session = deploy(cluster, spec, plan)) {
            Tensor x = Tensor.fromLogical(arena, in.values(), shape);
            for (int i = 0; i < in.warmup() + in.repeat(); i++) {
                try (Arena run = Arena.ofConfined()) {
                    long t0 = System.nanoTime();
                    Tensor y;
                    try {
                        y = session.infer(run, x);
                    } catch (IllegalStateException e) {
                        throw new UserError("the split inference failed: " + e.getMessage());
                    }
                    long ns = System.nanoTime() - t0;
                    if (i >= in.warmup()) {
                        latencies[i - in.warmup()] = ns;
                    }
                    if (i == in.warmup() + in.repeat() - 1) {
                        outputs.put(outName, y.toLogicalArray());
                        shapes.put(outName, y.shape());
                    }
                }
            }
            Plan used = session.plan();
            out.printf(Locale.ROOT, "split:   %d worker%s + this process ('local': holds the input, runs the tail)%s%n",
                    used.deviceCount() - 1, used.deviceCount() == 2 ? "" : "s",
                    session.replans() > 0 ? "; re-planned " + session.replans() + " time(s) after losing a worker" : "");
            printDevices(out, Geometry.of(graph, used), session);
        }
        return new Outcome(outputs, shapes, latencies);
    }

    private static PartitionedSession deploy(CoEdgeCluster cluster, ModelSpec spec, Plan plan) {
        try {
            return cluster.deploy(spec, plan);
        } catch (IllegalStateException e) {
            throw new UserError("cannot deploy " + spec.name() + " to the workers: " + e.getMessage());
        }
    }

    /** Per-device rows, FLOPs, halo and peak bytes as the geometry predicts them (the runtime counts the same). */
    static void printDevices(PrintWriter out, Geometry geo, PartitionedSession session) {
        Plan plan = geo.plan();
        var predicted = geo.predicted();
        int[] bounds = plan.boundaries(plan.height());
        out.printf(Locale.ROOT, "plan:    %s%n", plan.toText());
        out.printf(Locale.ROOT, "%-12s %11s %16s %7s %14s %14s %16s %14s%n", "device", "input rows", "FLOPs", "share",
                "halo sent B", "halo recv B", "scatter/gather B", "peak B");
        long total = predicted.totalFlops();
        long halo = 0;
        for (int d = 0; d < plan.deviceCount(); d++) {
            long hs = 0, hr = 0, sg = 0;
            for (Transfer t : geo.transfers()) {
                if (t.kind() == Transfer.Kind.HALO) {
                    hs += t.from() == d ? t.bytes() : 0;
                    hr += t.to() == d ? t.bytes() : 0;
                } else if (t.from() == d || t.to() == d) {
                    sg += t.bytes();
                }
            }
            halo += hs;
            out.printf(Locale.ROOT, "%-12s %11s %,16d %6.1f%% %,14d %,14d %,16d %,14d%s%n", plan.devices().get(d),
                    "[" + bounds[d] + "," + bounds[d + 1] + ")", predicted.flops(d),
                    total == 0 ? 0 : 100.0 * predicted.flops(d) / total, hs, hr, sg, predicted.peakBytes(d),
                    d == plan.tail() ? "  (tail)" : "");
        }
        String agree = "";
        if (session != null && session.lastCounted() != null) {
            int me = plan.devices().indexOf(CoEdgeCluster.LOCAL_DEVICE);
            var counted = session.lastCounted();
            boolean same = counted.flops(me) == predicted.flops(me) && counted.bytesSent(me) == predicted.bytesSent(me)
                    && counted.bytesReceived(me) == predicted.bytesReceived(me);
            agree = same ? "; this process counted exactly its predicted FLOPs and bytes" : "; this process counted "
                    + counted.flops(me) + " FLOPs, " + counted.bytesSent(me) + " B sent (DIFFERS from the prediction)";
        }
        out.printf(Locale.ROOT, "total FLOPs %,d (one device %,d); halo traffic %,d B per inference; one-device peak %,d B"
                + "%s%n", total, geo.oneDeviceFlops(), halo, geo.oneDevicePeakBytes(), agree);
    }

    /** Runs the model once on one device and says whether the split output is the same; false when it is not. */
    private boolean compare(Inference reference, Input in, Outcome got) {
        Inference.Result ref = reference.run(in.values(), 0, 1);
        boolean sameTop = true;
        double maxDiff = 0;
        double maxRef = 0;
        for (var e : ref.outputs().entrySet()) {
            float[] r = e.getValue();
            float[] g = got.outputs().get(e.getKey());
            if (g == null || g.length != r.length) {
                out.println("check:   the split run's output " + e.getKey() + " is missing or has another size: DIFFERENT");
                return false;
            }
            for (int i = 0; i < r.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(r[i] - g[i]));
                maxRef = Math.max(maxRef, Math.abs(r[i]));
            }
            if (OutputReport.isClassVector(ref.shapes().get(e.getKey()))) {
                int k = Math.min(5, r.length);
                sameTop &= Arrays.equals(OutputReport.topK(r, k), OutputReport.topK(g, k));
            }
        }
        boolean same = sameTop && maxDiff <= TOLERANCE * Math.max(maxRef, Float.MIN_NORMAL);
        out.printf(Locale.ROOT, "check:   %s the one-device run (top-5 %s; max |difference| %.3g, %.2g of max |output|)%n",
                same ? "same output as" : "DIFFERENT from", sameTop ? "identical" : "DIFFERENT", maxDiff,
                maxRef == 0 ? 0 : maxDiff / maxRef);
        return same;
    }

    private static ModelSpec modelSpec(Input in) {
        ModelSource.Loaded l = in.loaded();
        if (l.origin().startsWith("model zoo")) {
            return ModelSpec.zoo(l.name(), 0);
        }
        if (!l.origin().startsWith("ONNX file")) {
            throw new UserError("model " + l.name() + " exists only in this process; workers run zoo models and ONNX files");
        }
        if (in.shapeGiven()) {
            throw new UserError("--input-shape is not available with workers (they load the ONNX file as it is); "
                    + "export the model with a fixed input shape");
        }
        if (l.shapeFromImage()) {
            // refused here, before any worker starts: the workers could not build the model without a shape
            throw new UserError("model " + l.name() + " has a free input height and width (here taken from the image),"
                    + " and workers load the ONNX file as it is; export the model with a fixed input shape");
        }
        try {
            return ModelSpec.onnx(l.name(), Files.readAllBytes(Path.of(in.modelArgument())));
        } catch (IOException e) {
            throw new UserError("cannot read " + in.modelArgument() + ": " + e.getMessage());
        }
    }

    /** The workers of a run: connected from a cluster file, or started here and stopped on close (even on Ctrl-C). */
    static final class WorkerSet implements AutoCloseable {
        private final LocalWorkers local;
        private final CoEdgeCluster cluster;
        private final Thread hook;

        private WorkerSet(LocalWorkers local, CoEdgeCluster cluster, Thread hook) {
            this.local = local;
            this.cluster = cluster;
            this.hook = hook;
        }

        static WorkerSet open(PartitionOptions o, ClusterConfig fromFile, Integer threads, PrintWriter out) {
            ClusterConfig config;
            LocalWorkers local = null;
            Thread hook = null;
            if (o.localWorkers != null) {
                List<String> flags = new ArrayList<>(List.of("-Xmx1g"));
                if (threads != null) {
                    flags.add("-D" + ExecOptions.THREADS_PROPERTY + "=" + threads);
                }
                out.printf(Locale.ROOT, "workers: starting %d local worker process%s...%n", o.localWorkers,
                        o.localWorkers == 1 ? "" : "es");
                out.flush();
                // Registered before the start: Ctrl-C while workers start stops them too (they are our children).
                hook = CooperativeDemo.stopChildrenOnExit(null);
                try {
                    local = startLocal(o.localWorkers, flags);
                } catch (RuntimeException e) {
                    close(null, hook);
                    throw e;
                }
                config = local.clusterConfig();
            } else {
                config = fromFile;
            }
            if (o.connectTimeoutMs != null) {
                config.transport(new TransportContext().connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(o.connectTimeoutMs)));
            }
            try {
                CoEdgeCluster cluster = CoEdgeCluster.connect(config);
                out.printf(Locale.ROOT, "workers: connected to %s%n", config.workers().stream()
                        .map(m -> m.name() + " (" + m.endpoint() + ")").toList());
                return new WorkerSet(local, cluster, hook);
            } catch (RuntimeException e) {
                close(local, hook);
                if (e instanceof IllegalStateException) {
                    throw new UserError(e.getMessage());
                }
                throw e;
            }
        }

        static LocalWorkers startLocal(int n, List<String> flags) {
            try {
                return LocalWorkers.start(n, null, flags);
            } catch (IllegalStateException e) {
                throw new UserError("could not start the local workers: " + e.getMessage().strip());
            }
        }

        static void close(AutoCloseable w, Thread hook) {
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException exiting) {
                    return; // the hook stops them
                }
            }
            if (w != null) {
                try {
                    w.close();
                } catch (Exception ignored) {
                    // best effort: the processes get SIGKILL after the grace period
                }
            }
        }

        CoEdgeCluster cluster() {
            return cluster;
        }

        @Override
        public void close() {
            try {
                cluster.close();
            } finally {
                close(local, hook);
            }
        }
    }
}
