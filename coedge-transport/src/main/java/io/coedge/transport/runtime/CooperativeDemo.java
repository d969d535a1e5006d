package io.coedge.transport.runtime;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.partition.Accounting;
import io.coedge.partition.Geometry;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.tensor.Tensor;
import io.coedge.zoo.ModelZoo;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The cooperative demo behind {@code coedge demo}: starts local worker processes, splits a zoo model by rows
 * across them and this process, and prints who computed which rows, the FLOPs and halo traffic of each
 * device, the latency against one device, and the top-5 of both (they must be equal). Stops everything it
 * started.
 */
public final class CooperativeDemo {
    private CooperativeDemo() {
    }

    /**
     * Runs the demo.
     *
     * @param model   zoo model name
     * @param workers worker processes to start (1..8)
     * @param input   the input tensor (e.g. a preprocessed image), or null for a seeded random one
     * @param repeat  timed runs of each configuration (the median is printed)
     * @return 0 when the split result equals one device, 1 otherwise
     */
    public static int run(PrintStream out, String model, int workers, Tensor input, int repeat) {
        if (workers < 1 || workers > 8) {
            throw new IllegalArgumentException("the demo runs 1 to 8 workers, got " + workers);
        }
        out.printf(Locale.ROOT, "starting %d worker process%s on this machine...%n", workers, workers == 1 ? "" : "es");
        try (LocalWorkers w = LocalWorkers.start(workers, null, List.of("-Xmx2g", "-Dcoedge.threads=1"))) {
            return run(out, model, w.clusterConfig(), input, repeat);
        }
    }

    /**
     * Runs the demo on the workers of an existing cluster (e.g. the one {@code scripts/testbed up} wrote; run the
     * coordinator with {@code scripts/testbed exec -- ...}), splitting the rows equally among them.
     */
    public static int run(PrintStream out, String model, ClusterConfig config, Tensor input, int repeat) {
        if (repeat < 1) {
            throw new IllegalArgumentException("repeat must be at least 1, got " + repeat);
        }
        Graph g = ModelZoo.build(model);
        int[] shape = g.inputs().get(0).shape();
        try (Arena arena = Arena.ofConfined(); CoEdgeCluster cluster = CoEdgeCluster.connect(config)) {
            Tensor in = input != null ? input : Tensor.gaussian(arena, 7, shape);
            List<String> names = cluster.workers();
            int workers = names.size();
            List<String> devices = new ArrayList<>();
            devices.add(CoEdgeCluster.LOCAL_DEVICE);
            devices.addAll(names);
            int h = shape[2];
            int[] rows = new int[devices.size()];
            for (int i = 1; i < rows.length; i++) {
                rows[i] = h / workers + (i - 1 < h % workers ? 1 : 0);
            }
            Plan plan = Plan.explicit(devices, rows, Sync.every()).withTail(CoEdgeCluster.LOCAL_DEVICE);
            Executor one = Executor.create(g);
            Tensor ref = one.run(arena, in);
            long[] oneT = new long[repeat];
            for (int r = 0; r < repeat; r++) {
                long t0 = System.nanoTime();
                one.run(arena, in);
                oneT[r] = System.nanoTime() - t0;
            }
            Arrays.sort(oneT);
            long oneNs = oneT[repeat / 2];
            try (PartitionedSession s = cluster.deploy(ModelSpec.zoo(model, 0), plan)) {
                Tensor got = s.infer(arena, in);
                long[] t = new long[repeat];
                for (int r = 0; r < repeat; r++) {
                    long t0 = System.nanoTime();
                    got = s.infer(arena, in);
                    t[r] = System.nanoTime() - t0;
                }
                Arrays.sort(t);
                Accounting predicted = Geometry.of(g, s.plan()).predicted();
                int[] bounds = s.plan().boundaries(h);
                out.printf(Locale.ROOT, "%n%-10s %-12s %14s %14s %14s%n", "device", "input rows", "GFLOPs", "sent KiB",
                        "received KiB");
                for (int d = 0; d < devices.size(); d++) {
                    out.printf(Locale.ROOT, "%-10s %-12s %14.3f %14.1f %14.1f%n", devices.get(d),
                            "[" + bounds[d] + ", " + bounds[d + 1] + ")", predicted.flops(d) / 1e9,
                            predicted.bytesSent(d) / 1024.0, predicted.bytesReceived(d) / 1024.0);
                }
                double distMs = t[t.length / 2] / 1e6;
                out.printf(Locale.ROOT, "%nmedian latency: %.1f ms split across %d worker(s) + this process (tail), %.1f ms"
                        + " on one device (this process)%n", distMs, workers, oneNs / 1e6);
                int[] topRef = top5(ref);
                int[] topGot = top5(got);
                out.println("top-5 one device: " + Arrays.toString(topRef));
                out.println("top-5 split:      " + Arrays.toString(topGot));
                float diff = maxAbsDiff(got, ref);
                float max = maxAbs(ref);
                boolean same = Arrays.equals(topRef, topGot) && diff <= 1e-5f * max;
                out.printf(Locale.ROOT, "max |difference| %.3g (%.3g of max |logit|): %s%n", diff, diff / max,
                        same ? "same answer as one device" : "DIFFERENT from one device");
                return same ? 0 : 1;
            }
        }
    }


    static int[] top5(Tensor logits) {
        float[] v = logits.toLogicalArray();
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Float.compare(v[b], v[a]));
        return Arrays.stream(idx, 0, Math.min(5, v.length)).mapToInt(Integer::intValue).toArray();
    }

    private static float maxAbs(Tensor t) {
        float m = 0;
        for (float x : t.toLogicalArray()) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    private static float maxAbsDiff(Tensor a, Tensor b) {
        float[] x = a.toLogicalArray();
        float[] y = b.toLogicalArray();
        float m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }

    /** {@code java ... CooperativeDemo [model] [workers | cluster-file]}. */
    public static void main(String[] args) {
        String model = args.length > 0 ? args[0] : "resnet18";
        String where = args.length > 1 ? args[1] : "2";
        int rc = where.matches("\\d+") ? run(System.out, model, Integer.parseInt(where), null, 3)
                : run(System.out, model, ClusterConfig.read(java.nio.file.Path.of(where)), null, 3);
        System.exit(rc);
    }
}
