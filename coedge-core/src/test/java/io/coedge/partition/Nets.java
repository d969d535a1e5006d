package io.coedge.partition;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.Op;
import io.coedge.ops.Conv;
import io.coedge.ops.Unary;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;

/** Small graphs and comparison helpers for the partition tests. */
final class Nets {
    private Nets() {
    }

    static String conv(GraphBuilder b, Random rnd, String x, int inC, int outC, Conv c) {
        int kh = c.kernelH();
        int kw = c.kernelW();
        int cpg = inC / c.group();
        float[] w = new float[outC * cpg * kh * kw];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() / (float) Math.sqrt(cpg * kh * kw);
        }
        float[] bias = new float[outC];
        for (int i = 0; i < outC; i++) {
            bias[i] = (float) rnd.nextGaussian() * 0.1f;
        }
        String name = "conv" + b.hashCode() + "_" + rnd.nextInt(1 << 30);
        String wn = b.constant(name + "_w", w, outC, cpg, kh, kw);
        String bn = b.constant(name + "_b", bias, outC);
        return b.node(name, c, x, wn, bn);
    }

    static String node(GraphBuilder b, Op op, String... in) {
        return b.node(op, in);
    }

    static Tensor randomInput(Arena arena, int[] shape, long seed) {
        Random rnd = new Random(seed);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return Tensor.fromLogical(arena, v, shape);
    }

    /** A VGG-like little stack: conv3x3 s1, relu, conv3x3 s2, conv 5x5 dilated, conv 1x1. */
    static Graph smallStack(int h, int w) {
        GraphBuilder b = new GraphBuilder("small");
        Random rnd = new Random(7);
        String x = b.input("input", 1, 3, h, w);
        x = conv(b, rnd, x, 3, 8, Conv.of(3, 1, 1, 1));
        x = b.node(Unary.relu(), x);
        x = conv(b, rnd, x, 8, 8, Conv.of(3, 2, 1, 2));
        x = conv(b, rnd, x, 8, 6, new Conv(5, 3, 1, 1, 2, 1, "NOTSET", new long[] {3, 1, 1, 1}, 1));
        x = b.node(Unary.relu(), x);
        x = conv(b, rnd, x, 6, 4, Conv.of(1, 1, 0, 1));
        return b.output(x).build();
    }

    /** Largest |a - b| over all elements, both compared in logical order. */
    static float maxAbsDiff(Tensor a, Tensor b) {
        float[] x = a.toLogicalArray();
        float[] y = b.toLogicalArray();
        if (x.length != y.length) {
            throw new AssertionError("sizes differ: " + a + " vs " + b);
        }
        float m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }

    static float maxAbs(Tensor a) {
        float m = 0;
        for (float v : a.toLogicalArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    static Tensor reference(Graph g, Arena arena, Tensor input) {
        return Executor.reference(g).run(arena, input);
    }
}
