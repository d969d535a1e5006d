package io.coedge.bench;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.KernelContext;
import io.coedge.graph.KernelProvider;
import io.coedge.graph.Node;
import io.coedge.graph.RowKernel;
import io.coedge.tensor.Tensor;
import io.coedge.zoo.ModelZoo;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * VGG-16's 3x3 convolutions on the first device's band of an equal two-way split, one inference's worth of layers
 * in order, timed per layer in three ways: the band in one kernel call ({@code whole}), its interior rows and then
 * its boundary row in two calls as a device that overlaps its halo wait does ({@code split}), and the whole map on
 * one device ({@code full}). With {@code flush}, 64 MiB are written between passes so that every layer's weights come
 * from memory, as after the fully connected layers of the previous inference.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -Dcoedge.threads=1 -cp bench/target/benchmarks.jar
 * io.coedge.bench.SplitConvCalls [iterations] [whole,split,full] [flush]}; two at once (e.g. under {@code taskset -c 0}
 * and {@code -c 1}) show what the two halves cost each other in memory bandwidth.
 */
public final class SplitConvCalls {
    private static final Set<String> MODES = Set.of("whole", "split", "full");
    private static final int WARMUP_PASSES = 5;

    private SplitConvCalls() {
    }

    /** One conv layer with its inputs and outputs for the band ({@code h} output rows) and for the whole map. */
    private record Layer(String name, RowKernel kernel, Tensor[] bandInputs, Tensor bandOutput, Tensor[] fullInputs,
                         Tensor fullOutput, int h) {
    }

    public static void main(String[] args) {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        String[] modes = (args.length > 1 ? args[1] : "whole,split,full").split(",");
        boolean flush = args.length > 2 && args[2].equals("flush");
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be >= 1, got " + iterations);
        }
        for (String m : modes) {
            if (!MODES.contains(m)) {
                throw new IllegalArgumentException("unknown mode '" + m + "' (known: whole, split, full)");
            }
        }
        Arena arena = Arena.ofShared();
        List<Layer> layers = vggConvs(arena);
        System.out.println("kernel " + layers.get(0).kernel());
        MemorySegment flushBuffer = arena.allocate(64L << 20, 64);
        long[][][] ns = new long[modes.length][layers.size()][iterations];
        int[] noOffsets = new int[4];
        for (int it = -WARMUP_PASSES; it < iterations; it++) {
            for (int m = 0; m < modes.length; m++) {
                if (flush) {
                    flushBuffer.fill((byte) it);
                }
                for (int l = 0; l < layers.size(); l++) {
                    Layer layer = layers.get(l);
                    long t0 = System.nanoTime();
                    switch (modes[m]) {
                        case "whole" -> layer.kernel().runRows(layer.bandInputs(), noOffsets, layer.bandOutput(), 0, 0,
                                layer.h());
                        case "split" -> {
                            // interior rows first, then the boundary row next to the neighbour's halo
                            layer.kernel().runRows(layer.bandInputs(), noOffsets, layer.bandOutput(), 0, 0, layer.h() - 1);
                            layer.kernel().runRows(layer.bandInputs(), noOffsets, layer.bandOutput(), 0, layer.h() - 1,
                                    layer.h());
                        }
                        default -> layer.kernel().runRows(layer.fullInputs(), noOffsets, layer.fullOutput(), 0, 0,
                                2 * layer.h());
                    }
                    long dt = System.nanoTime() - t0;
                    if (it >= 0) {
                        ns[m][l][it] = dt;
                    }
                }
            }
        }
        print(modes, layers, ns, iterations);
    }

    /** VGG-16's convolutions with random inputs: the first device's band (half the rows plus its halo row) and the map. */
    private static List<Layer> vggConvs(Arena arena) {
        Graph g = ModelZoo.build("vgg16");
        List<KernelProvider> providers = Executor.providers("native");
        List<Layer> layers = new ArrayList<>();
        int seed = 0;
        for (Node n : g.nodes()) {
            if (!n.op().type().equals("Conv")) {
                continue;
            }
            KernelContext ctx = g.kernelContext(n);
            RowKernel kernel = (RowKernel) providers.get(0).kernel(ctx);
            int[] in = g.shape(n.input(0));
            int[] out = g.shape(n.output());
            int h = out[2] / 2;
            Tensor[] band = new Tensor[n.inputs().size()];
            Tensor[] full = new Tensor[n.inputs().size()];
            band[0] = Tensor.gaussian(arena, seed, 1, in[1], h + 1, in[3]);
            full[0] = Tensor.gaussian(arena, seed, in);
            for (int j = 1; j < band.length; j++) {
                if (n.hasInput(j)) {
                    band[j] = g.constant(n.input(j));
                    full[j] = band[j];
                }
            }
            layers.add(new Layer(n.name() + " " + in[1] + "x" + in[2] + "->" + out[1], kernel, band,
                    Tensor.allocate(arena, 1, out[1], h, out[3]), full, Tensor.allocate(arena, out), h));
            seed++;
        }
        return layers;
    }

    private static void print(String[] modes, List<Layer> layers, long[][][] ns, int iterations) {
        System.out.printf(Locale.ROOT, "%-28s", "layer (median ms)");
        for (String m : modes) {
            System.out.printf(Locale.ROOT, " %9s", m);
        }
        System.out.println();
        double[] sumOfMedians = new double[modes.length];
        for (int l = 0; l < layers.size(); l++) {
            System.out.printf(Locale.ROOT, "%-28s", layers.get(l).name());
            for (int m = 0; m < modes.length; m++) {
                double median = median(ns[m][l]) / 1e6;
                sumOfMedians[m] += median;
                System.out.printf(Locale.ROOT, " %9.3f", median);
            }
            System.out.println();
        }
        System.out.printf(Locale.ROOT, "%-28s", "sum of medians");
        for (double x : sumOfMedians) {
            System.out.printf(Locale.ROOT, " %9.3f", x);
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-28s", "median of per-pass totals");
        for (int m = 0; m < modes.length; m++) {
            long[] totals = new long[iterations];
            for (int it = 0; it < iterations; it++) {
                for (int l = 0; l < layers.size(); l++) {
                    totals[it] += ns[m][l][it];
                }
            }
            System.out.printf(Locale.ROOT, " %9.3f", median(totals) / 1e6);
        }
        System.out.println();
    }

    private static long median(long[] v) {
        long[] sorted = v.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
