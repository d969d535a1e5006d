package io.coedge.bench;

import io.coedge.exec.Executor;
import io.coedge.graph.*;
import io.coedge.tensor.Tensor;
import io.coedge.zoo.ModelZoo;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.*;

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
    private SplitConvCalls() {
    }

    record Layer(String name, RowKernel k, Tensor[] inBand, Tensor outBand, Tensor[] inFull, Tensor outFull, int h) {}

    public static void main(String[] a) {
        int iters = a.length > 0 ? Integer.parseInt(a[0]) : 20;
        String modes = a.length > 1 ? a[1] : "whole,split,full";
        boolean flush = a.length > 2 && a[2].equals("flush");
        Graph g = ModelZoo.build("vgg16");
        List<KernelProvider> ps = Executor.providers("native");
        Arena arena = Arena.ofShared();
        List<Layer> layers = new ArrayList<>();
        int li = 0;
        for (Node n : g.nodes()) {
            if (!n.op().type().equals("Conv")) continue;
            KernelContext ctx = g.kernelContext(n);
            RowKernel k = (RowKernel) ps.get(0).kernel(ctx);
            int[] s = g.shape(n.input(0));
            int[] o = g.shape(n.output());
            int h = o[2] / 2;
            Tensor xb = Tensor.gaussian(arena, li, 1, s[1], h + 1, s[3]);
            Tensor yb = Tensor.allocate(arena, 1, o[1], h, o[3]);
            Tensor xf = Tensor.gaussian(arena, li, s);
            Tensor yf = Tensor.allocate(arena, o);
            Tensor[] ib = new Tensor[n.inputs().size()];
            Tensor[] inf = new Tensor[n.inputs().size()];
            ib[0] = xb; inf[0] = xf;
            for (int j = 1; j < ib.length; j++) { if (n.hasInput(j)) { ib[j] = g.constant(n.input(j)); inf[j] = ib[j]; } }
            layers.add(new Layer(n.name() + " " + s[1] + "x" + s[2] + "->" + o[1], k, ib, yb, inf, yf, h));
            li++;
            if (li == 1) System.out.println("kernel " + k);
        }
        MemorySegment junk = arena.allocate(64L << 20, 64);
        String[] ms = modes.split(",");
        long[][][] t = new long[ms.length][layers.size()][iters];
        int[] zero = new int[4];
        for (int it = -5; it < iters; it++) {
            for (int m = 0; m < ms.length; m++) {
                if (flush) junk.fill((byte) it);
                for (int l = 0; l < layers.size(); l++) {
                    Layer L = layers.get(l);
                    long t0 = System.nanoTime();
                    switch (ms[m]) {
                        case "whole" -> L.k.runRows(L.inBand, zero, L.outBand, 0, 0, L.h);
                        case "split" -> { L.k.runRows(L.inBand, zero, L.outBand, 0, 0, L.h - 1); L.k.runRows(L.inBand, zero, L.outBand, 0, L.h - 1, L.h); }
                        case "full" -> L.k.runRows(L.inFull, zero, L.outFull, 0, 0, 2 * L.h);
                        default -> throw new IllegalArgumentException(ms[m]);
                    }
                    long dt = System.nanoTime() - t0;
                    if (it >= 0) t[m][l][it] = dt;
                }
            }
        }
        System.out.printf("%-28s", "layer (median ms)");
        for (String m : ms) System.out.printf(" %9s", m);
        System.out.println();
        double[] tot = new double[ms.length];
        for (int l = 0; l < layers.size(); l++) {
            System.out.printf("%-28s", layers.get(l).name);
            for (int m = 0; m < ms.length; m++) {
                long[] v = t[m][l].clone(); Arrays.sort(v);
                double med = v[iters / 2] / 1e6; tot[m] += med;
                System.out.printf(" %9.3f", med);
            }
            System.out.println();
        }
        System.out.printf("%-28s", "sum of medians");
        for (double x : tot) System.out.printf(" %9.3f", x);
        System.out.println();
        // per-iteration totals
        System.out.printf("%-28s", "median of per-iter totals");
        for (int m = 0; m < ms.length; m++) {
            long[] s = new long[iters];
            for (int it = 0; it < iters; it++) for (int l = 0; l < layers.size(); l++) s[it] += t[m][l][it];
            Arrays.sort(s);
            System.out.printf(" %9.3f", s[iters / 2] / 1e6);
        }
        System.out.println();
    }
}
