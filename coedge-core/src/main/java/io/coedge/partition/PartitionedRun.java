package io.coedge.partition;

import io.coedge.graph.Graph;
import io.coedge.graph.KernelProvider;
import io.coedge.tensor.Tensor;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code coedge run --devices N [--partition equal|random[:SEED]|r1,r2,...] [--sync every|fused:K]}
 * does: builds the plan, runs the inference split across N in-process devices, and reports per device
 * rows, FLOPs, halo bytes and peak memory.
 *
 * <pre>{@code
 * Plan plan = PartitionedRun.plan(graph, 4, "equal", "every");      // IllegalArgumentException on bad options
 * PartitionedRun run = new PartitionedRun(graph, plan, providers);    // kernels prepared once
 * PartitionedRun.Report r = run.run(input);                           // input: logical NCHW float[]
 * r.outputs();                 // graph outputs, logical order, like the one-device run
 * r.print(printWriter);        // the per-device table
 * }</pre>
 */
public final class PartitionedRun {
    private final Graph graph;
    private final PartitionedExecutor executor;

    public PartitionedRun(Graph graph, Plan plan, List<KernelProvider> providers) {
        this.graph = graph;
        this.executor = new PartitionedExecutor(Geometry.of(graph, plan), providers);
    }

    /**
     * The plan for the CLI options.
     *
     * @param devices   number of in-process devices, named {@code dev0..}; the tail runs on {@code dev0}
     * @param partition {@code equal} (default when null), {@code random}, {@code random:SEED}, or input
     *                  rows per device {@code r1,r2,...} summing to the input height
     * @param sync      {@code every} (default when null) or {@code fused:K}
     * @throws IllegalArgumentException with a message for the user when an option is wrong
     */
    public static Plan plan(Graph graph, int devices, String partition, String sync) {
        if (devices < 1 || devices > 1024) {
            throw new IllegalArgumentException("--devices must be between 1 and 1024, got " + devices);
        }
        if (graph.inputs().size() != 1 || graph.inputs().get(0).shape().length != 4
                || graph.inputs().get(0).shape()[0] != 1) {
            throw new IllegalArgumentException("--devices splits the rows of one batch-1 NCHW input; this model's inputs are "
                    + graph.inputs().stream().map(i -> i.name() + java.util.Arrays.toString(i.shape())).toList());
        }
        int h = graph.inputs().get(0).shape()[2];
        Sync s = sync == null ? Sync.every() : Sync.parse(sync);
        return Plan.fromSpec(partition, Plan.deviceNames(devices), h, s);
    }

    public Geometry geometry() {
        return executor.geometry();
    }

    public PartitionedExecutor executor() {
        return executor;
    }

    /** One line of the report. */
    public record DeviceRow(String device, int inputRows, long flops, long haloBytesSent, long haloBytesReceived,
                            long scatterGatherBytes, long peakBytes, boolean tail) {
    }

    /**
     * One partitioned inference.
     *
     * @param outputs   graph outputs in logical order (NCHW for maps), by name
     * @param shapes    their shapes
     * @param latencyNs wall time of the run (all devices stepped on one thread: a sum, not a parallel time)
     */
    public record Report(Plan plan, Map<String, float[]> outputs, Map<String, int[]> shapes, List<DeviceRow> devices,
                         Accounting counted, Accounting predicted, long latencyNs, long oneDevicePeakBytes,
                         long oneDeviceFlops) {
        /** True when the run counted exactly what the geometry predicted (it always should). */
        public boolean accountingAgrees() {
            return counted.difference(predicted) == null;
        }

        /** Prints the plan and the per-device table. */
        public void print(PrintWriter out) {
            out.printf(Locale.ROOT, "plan:    %s%n", plan.toText());
            out.printf(Locale.ROOT, "%-8s %6s %16s %7s %14s %14s %16s %14s%n", "device", "rows", "FLOPs", "share",
                    "halo sent B", "halo recv B", "scatter/gather B", "peak B");
            long total = 0;
            for (DeviceRow d : devices) {
                total += d.flops();
            }
            for (DeviceRow d : devices) {
                out.printf(Locale.ROOT, "%-8s %6d %,16d %6.1f%% %,14d %,14d %,16d %,14d%s%n", d.device(), d.inputRows(),
                        d.flops(), total == 0 ? 0 : 100.0 * d.flops() / total, d.haloBytesSent(), d.haloBytesReceived(),
                        d.scatterGatherBytes(), d.peakBytes(), d.tail() ? "  (initiator, tail)" : "");
            }
            out.printf(Locale.ROOT, "total FLOPs %,d (one device %,d); one-device peak %,d B; accounting %s%n", total,
                    oneDeviceFlops, oneDevicePeakBytes, accountingAgrees() ? "matches the geometry" : "DIFFERS: "
                            + counted.difference(predicted));
        }
    }

    /** Runs one inference on {@code input} (logical NCHW order, the graph input's shape). */
    public Report run(float[] input) {
        int[] shape = graph.inputs().get(0).shape();
        try (Arena arena = Arena.ofConfined()) {
            return run(Tensor.fromLogical(arena, input, shape));
        }
    }

    /** Runs one inference on {@code input}. */
    public Report run(Tensor input) {
        try (Arena arena = Arena.ofConfined()) {
            long t0 = System.nanoTime();
            PartitionedExecutor.Result r = executor.run(arena, input);
            long ns = System.nanoTime() - t0;
            Map<String, float[]> outs = new LinkedHashMap<>();
            Map<String, int[]> shapes = new LinkedHashMap<>();
            r.outputs().forEach((k, v) -> {
                outs.put(k, v.toLogicalArray());
                shapes.put(k, v.shape());
            });
            Geometry geo = executor.geometry();
            Plan plan = geo.plan();
            List<DeviceRow> rows = new ArrayList<>();
            for (int d = 0; d < plan.deviceCount(); d++) {
                long hs = 0, hr = 0, sg = 0;
                for (Transfer t : geo.transfers()) {
                    boolean mine = t.from() == d || t.to() == d;
                    if (t.kind() == Transfer.Kind.HALO) {
                        hs += t.from() == d ? t.bytes() : 0;
                        hr += t.to() == d ? t.bytes() : 0;
                    } else if (mine) {
                        sg += t.bytes();
                    }
                }
                rows.add(new DeviceRow(plan.devices().get(d), plan.rows(d), r.counted().flops(d), hs, hr, sg,
                        r.counted().peakBytes(d), d == plan.tail()));
            }
            return new Report(plan, outs, shapes, List.copyOf(rows), r.counted(), geo.predicted(), ns,
                    geo.oneDevicePeakBytes(), graph.totalFlops());
        }
    }
}
