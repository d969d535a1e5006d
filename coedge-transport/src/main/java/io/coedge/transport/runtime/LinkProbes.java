package io.coedge.transport.runtime;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.onnx.OnnxExporter;
import io.coedge.ops.Conv;
import io.coedge.ops.Pool;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.planner.LinkProfile;
import io.coedge.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Measures a worker's link over the transport itself, with the messages an inference sends, so the
 * planner's {@link LinkProfile} holds what a plan will actually pay:
 * <ul>
 * <li><b>bandwidth</b>: a probe model with nearly no compute (one 2x2 max pool) runs with every row on
 *     the worker at two input sizes (41 KB and 2.6 MB scattered, a quarter of it gathered back); the
 *     bandwidth is the extra bytes over the extra time;</li>
 * <li><b>latency per halo exchange</b>: a 64x64 map split in two between the initiator and the worker
 *     through 1 and through 17 3x3 convolutions; the time difference over 16;</li>
 * <li><b>request cost</b>: what the small request costs beyond its bytes and its two message latencies
 *     (control messages, waking the worker).</li>
 * </ul>
 * Each figure is the median of several timed requests after warm-up. The probes deploy small models of
 * their own and leave the worker's current plan to be pushed again by the next session that uses it.
 */
public final class LinkProbes {
    private static final int[] SMALL = {1, 8, 32, 32};
    private static final int[] LARGE = {1, 8, 256, 256};
    private static final int[] HALO_MAP = {1, 1, 64, 64};

    private LinkProbes() {
    }

    /** How many requests each probe times. */
    public record Options(int warmups, int smallRuns, int largeRuns, int haloRuns) {
        public static Options defaults() {
            return new Options(3, 9, 3, 7);
        }

        public static Options quick() {
            return new Options(1, 3, 1, 3);
        }
    }

    /**
     * Measures the link to {@code worker} of {@code cluster}; the initiator is the calling process (device
     * {@link CoEdgeCluster#LOCAL_DEVICE}). {@code progress} gets one line with the raw timings.
     */
    public static LinkProfile measure(CoEdgeCluster cluster, String worker, Options o, Consumer<String> progress) {
        if (!cluster.workers().contains(worker)) {
            throw new IllegalArgumentException("no worker '" + worker + "' in the cluster " + cluster.workers());
        }
        String local = CoEdgeCluster.LOCAL_DEVICE;
        try (Arena arena = Arena.ofShared()) {
            double bs = poolProbeBytes(SMALL);
            double bl = poolProbeBytes(LARGE);
            double ts = median(cluster, poolProbe(SMALL), new Plan(0, List.of(local, worker), new int[] {0, SMALL[2]},
                    Sync.every(), local), Tensor.gaussian(arena, 1, SMALL), o.warmups(), o.smallRuns());
            double tl = median(cluster, poolProbe(LARGE), new Plan(0, List.of(local, worker), new int[] {0, LARGE[2]},
                    Sync.every(), local), Tensor.gaussian(arena, 1, LARGE), Math.max(1, o.warmups() - 1), o.largeRuns());
            double bw = (bl - bs) / Math.max(tl - ts, 1e-6);
            Tensor map = Tensor.gaussian(arena, 1, HALO_MAP);
            Plan halves = new Plan(0, List.of(local, worker), new int[] {HALO_MAP[2] / 2, HALO_MAP[2] / 2}, Sync.every(), local);
            double t1 = median(cluster, haloProbe(1), halves, map, o.warmups(), o.haloRuns());
            double t17 = median(cluster, haloProbe(17), halves, map, o.warmups(), o.haloRuns());
            double perHalo = Math.max(0, (t17 - t1) / 16);
            double request = Math.max(0, ts - bs / bw - 2 * perHalo);
            progress.accept(String.format(Locale.ROOT, "link to %s over the transport: %.1f Mbit/s payload (%.1f ms for %.0f KB, "
                    + "%.1f ms for %.0f KB), %.2f ms per halo exchange (%.1f ms with 1 layer, %.1f ms with 17), "
                    + "%.2f ms per request beyond its bytes", worker, bw * 8 / 1e6, ts * 1e3, bs / 1e3, tl * 1e3, bl / 1e3,
                    perHalo * 1e3, t1 * 1e3, t17 * 1e3, request * 1e3));
            return new LinkProfile(bw, perHalo, request);
        }
    }

    private static double median(CoEdgeCluster cluster, ModelSpec spec, Plan plan, Tensor input, int warmups, int runs) {
        try (PartitionedSession s = cluster.deploy(spec, plan);
                Arena out = Arena.ofConfined()) {
            for (int i = 0; i < warmups; i++) {
                s.infer(out, input);
            }
            double[] t = new double[Math.max(1, runs)];
            for (int i = 0; i < t.length; i++) {
                long t0 = System.nanoTime();
                s.infer(out, input);
                t[i] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(t);
            return t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
        }
    }

    /** Bytes the pool probe moves: the input scattered, the pooled quarter gathered. */
    private static double poolProbeBytes(int[] shape) {
        double in = (double) shape[1] * shape[2] * shape[3] * Float.BYTES;
        return in + in / 4;
    }

    private static ModelSpec poolProbe(int[] shape) {
        GraphBuilder b = new GraphBuilder("link-probe-" + shape[2]);
        String x = b.input("input", shape);
        return spec("link-probe-" + shape[2], b.output(b.node("pool", Pool.max(2, 2, 0, false), x)).build());
    }

    private static ModelSpec haloProbe(int layers) {
        GraphBuilder b = new GraphBuilder("halo-probe-" + layers);
        String x = b.input("input", HALO_MAP);
        for (int l = 0; l < layers; l++) {
            float[] k = new float[9];
            k[4] = 1; // identity kernel: values stay bounded through the layers
            String w = b.constant("w" + l, k, 1, 1, 3, 3);
            String bias = b.constant("b" + l, new float[1], 1);
            x = b.node("conv" + l, Conv.of(3, 1, 1, 1), x, w, bias);
        }
        return spec("halo-probe-" + layers, b.output(x).build());
    }

    private static ModelSpec spec(String label, Graph g) {
        try {
            Path f = Files.createTempFile("coedge-" + label, ".onnx");
            try {
                OnnxExporter.write(g, f);
                return ModelSpec.onnx(label, Files.readAllBytes(f));
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the probe model " + label, e);
        }
    }

}
