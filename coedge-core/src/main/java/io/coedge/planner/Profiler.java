package io.coedge.planner;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.Node;
import io.coedge.graph.Op;
import io.coedge.ops.Conv;
import io.coedge.ops.Gemm;
import io.coedge.ops.Pool;
import io.coedge.ops.Unary;
import io.coedge.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Measures this machine's compute rate per {@link LayerType} with a short micro-benchmark: one small
 * single-layer graph per type (shapes from real networks' layers, scaled down to run in milliseconds),
 * run through {@link Executor#create} (so the kernel provider chosen by {@code coedge.kernels} is what
 * is measured), rate = the graph's FLOPs ({@link Graph#flops}, the count the cost model uses) over the
 * median run time. {@code coedge profile} calls {@link #profile} and writes the result with
 * {@link #write}.
 */
public final class Profiler {
    /**
     * @param repeats         timed runs per layer type (after {@code warmups})
     * @param warmups         untimed runs first (JIT, caches)
     * @param maxSecondsPerType stop a type's timed runs early after this long
     */
    public record Options(int repeats, int warmups, double maxSecondsPerType) {
        public Options {
            if (repeats < 1 || warmups < 0 || !(maxSecondsPerType > 0)) {
                throw new IllegalArgumentException("repeats >= 1, warmups >= 0 and a positive time budget are needed");
            }
        }

        /** 7 timed runs after 3 warm-ups, at most 2 s per type: about 10 s in all on a Raspberry Pi 4. */
        public static Options defaults() {
            return new Options(7, 3, 2.0);
        }

        /** 3 runs after 1 warm-up: a smoke test. */
        public static Options quick() {
            return new Options(3, 1, 0.5);
        }
    }

    private Profiler() {
    }

    /** The micro-benchmark graph for one layer type. */
    public static Graph benchmarkGraph(LayerType type) {
        GraphBuilder b = new GraphBuilder("profile-" + type.key());
        SplittableRandom rnd = new SplittableRandom(type.ordinal());
        return switch (type) {
            case CONV1X1 -> conv(b, rnd, 64, 28, 64, 1, 1, 0, 1);
            case CONV3X3 -> conv(b, rnd, 32, 28, 32, 3, 1, 1, 1);
            case CONV5X5 -> conv(b, rnd, 16, 28, 32, 5, 1, 2, 1);
            case CONV7X7 -> conv(b, rnd, 3, 56, 32, 7, 2, 3, 1);
            case CONVKXK -> conv(b, rnd, 3, 112, 32, 11, 4, 2, 1);
            case DEPTHWISE -> conv(b, rnd, 64, 56, 64, 3, 1, 1, 64);
            case FC -> {
                String x = b.input("input", 1, 2048);
                String w = b.constant("w", random(rnd, 1000 * 2048), 1000, 2048);
                String bias = b.constant("b", random(rnd, 1000), 1000);
                yield b.output(b.node("fc", Gemm.linear(), x, w, bias)).build();
            }
            case POOL -> single(b, Pool.max(3, 2, 1, false), 64, 56);
            case OTHER -> single(b, Unary.relu(), 64, 56);
        };
    }

    private static Graph conv(GraphBuilder b, SplittableRandom rnd, int c, int hw, int m, int k, int s, int p, int g) {
        String x = b.input("input", 1, c, hw, hw);
        String w = b.constant("w", random(rnd, m * (c / g) * k * k), m, c / g, k, k);
        String bias = b.constant("b", random(rnd, m), m);
        return b.output(b.node("conv", Conv.of(k, s, p, g), x, w, bias)).build();
    }

    private static Graph single(GraphBuilder b, Op op, int c, int hw) {
        String x = b.input("input", 1, c, hw, hw);
        return b.output(b.node("layer", op, x)).build();
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextDouble() - 0.5);
        }
        return v;
    }

    /**
     * Measures every layer type.
     *
     * @param progress receives one line per type (may be null)
     */
    public static Map<LayerType, Double> measureRates(Options options, Consumer<String> progress) {
        Map<LayerType, Double> rates = new EnumMap<>(LayerType.class);
        for (LayerType t : LayerType.values()) {
            double r = measure(benchmarkGraph(t), options);
            rates.put(t, r);
            if (progress != null) {
                progress.accept(String.format(java.util.Locale.ROOT, "%-10s %10.3f GFLOP/s", t.key(), r / 1e9));
            }
        }
        return rates;
    }

    /** FLOP/s of one graph: its FLOPs over the median of the timed runs. */
    static double measure(Graph g, Options options) {
        long flops = 0;
        for (Node n : g.nodes()) {
            flops += g.flops(n);
        }
        Executor ex = Executor.create(g);
        int[] shape = g.inputs().get(0).shape();
        int size = 1;
        for (int d : shape) {
            size *= d;
        }
        float[] values = random(new SplittableRandom(1), size);
        try (Arena arena = Arena.ofConfined()) {
            Tensor input = Tensor.fromLogical(arena, values, shape);
            for (int i = 0; i < options.warmups(); i++) {
                runOnce(ex, input);
            }
            double[] times = new double[options.repeats()];
            int done = 0;
            long deadline = System.nanoTime() + (long) (options.maxSecondsPerType() * 1e9);
            while (done < times.length) {
                long t0 = System.nanoTime();
                runOnce(ex, input);
                times[done++] = Math.max(1, System.nanoTime() - t0) / 1e9;
                if (System.nanoTime() > deadline) {
                    break;
                }
            }
            double[] t = Arrays.copyOf(times, done);
            Arrays.sort(t);
            return flops / t[t.length / 2];
        }
    }

    private static void runOnce(Executor ex, Tensor input) {
        // intermediates live in a per-run arena so repeated runs do not grow memory
        try (Arena run = Arena.ofConfined()) {
            ex.run(run, input);
        }
    }

    /**
     * A profile of this machine: measured rates; memory budget, power and link from {@code base} (a
     * preset or an earlier profile; power cannot be measured without a meter).
     */
    public static DeviceProfile profile(String name, DeviceProfile base, Options options, Consumer<String> progress) {
        Map<LayerType, Double> rates = measureRates(options, progress);
        Map<String, String> sources = new LinkedHashMap<>(base.sources());
        sources.put("rates", "measured by coedge profile on " + Instant.now() + " with kernels '"
                + System.getProperty(Executor.KERNELS_PROPERTY, "auto") + "', " + Runtime.getRuntime().availableProcessors()
                + " processors");
        sources.putIfAbsent("power", "from preset " + base.name());
        return new DeviceProfile(name, base.description().isEmpty() ? "profiled machine" : "profiled; power as " + base.name(),
                rates, base.memoryBytes(), base.idleWatts(), base.computeWatts(), base.transmitWatts(), base.link(), sources);
    }

    /** Writes one profile as a device file that {@code --devices} accepts. */
    public static void write(DeviceProfile profile, Path file) throws IOException {
        DeviceProfiles.write(new DeviceProfiles.Cluster(List.of(profile), profile.name()), file);
    }
}
