package io.coedge.partition;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.Op;
import io.coedge.ops.Binary;
import io.coedge.ops.Concat;
import io.coedge.ops.Conv;
import io.coedge.ops.ConvTranspose;
import io.coedge.ops.Flatten;
import io.coedge.ops.Gemm;
import io.coedge.ops.GlobalPool;
import io.coedge.ops.Lrn;
import io.coedge.ops.Pool;
import io.coedge.ops.Resize;
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

    static String gemm(GraphBuilder b, Random rnd, String x, int in, int out) {
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() / (float) Math.sqrt(in);
        }
        String name = "fc_" + rnd.nextInt(1 << 30);
        return b.node(name, Gemm.linear(), x, b.constant(name + "_w", w, out, in), b.constant(name + "_b", new float[out], out));
    }

    /**
     * A little GoogLeNet/ResNet mix: conv, ceil-mode max pool, LRN, an inception block (1x1, 3x3,
     * 5x5 and pool branches, concatenated), a residual add, a grouped conv with asymmetric pads,
     * then {@code head}: "gap" (GlobalAveragePool, Flatten, Gemm), "flatten" (Flatten, Gemm) or
     * "none" (a fully convolutional output after an upsampling path).
     */
    static Graph mixed(int h, int w, String head) {
        GraphBuilder b = new GraphBuilder("mixed-" + head);
        Random rnd = new Random(11);
        String x = b.input("input", 1, 3, h, w);
        x = conv(b, rnd, x, 3, 8, Conv.of(3, 2, 1, 1));
        x = b.node(Unary.relu(), x);
        x = b.node(Pool.max(3, 2, 0, true), x);
        x = b.node(new Lrn(3, 1e-2f, 0.75f, 1f), x);
        String b1 = conv(b, rnd, x, 8, 4, Conv.of(1, 1, 0, 1));
        String b2 = conv(b, rnd, conv(b, rnd, x, 8, 4, Conv.of(1, 1, 0, 1)), 4, 6, Conv.of(3, 1, 1, 1));
        String b3 = conv(b, rnd, x, 8, 2, Conv.of(5, 1, 2, 1));
        String b4 = conv(b, rnd, b.node(Pool.max(3, 1, 1, true), x), 8, 4, Conv.of(1, 1, 0, 1));
        x = b.node(new Concat(1), b1, b2, b3, b4);
        String y = conv(b, rnd, b.node(Unary.relu(), conv(b, rnd, x, 16, 16, Conv.of(3, 1, 1, 1))), 16, 16,
                new Conv(3, 3, 1, 1, 1, 1, "NOTSET", new long[] {2, 1, 0, 1}, 4));
        x = b.node(Unary.relu(), b.node(Binary.add(), x, y));
        x = b.node(Pool.average(2, 2, 0, true, false), x);
        switch (head) {
            case "gap" -> {
                x = b.node(new Flatten(1), b.node(GlobalPool.average(), x));
                x = gemm(b, rnd, x, 16, 10);
            }
            case "flatten" -> {
                int[] s = b.build().shape(x);
                x = b.node(new Flatten(1), x);
                x = gemm(b, rnd, x, s[1] * s[2] * s[3], 10);
            }
            case "none" -> {
                x = b.node(Resize.nearest(2), x);
                x = conv(b, rnd, x, 16, 4, Conv.of(3, 1, 1, 1));
                x = b.node(ConvTranspose.of(3, 2, 1, 1, 1), x, b.constant("ct_w", randoms(rnd, 4 * 3 * 9), 4, 3, 3, 3));
            }
            default -> throw new IllegalArgumentException(head);
        }
        return b.output(x).build();
    }

    /**
     * A MobileNetV3-like piece: conv, hardswish, a squeeze-excitation block (global pooling, 1x1 conv,
     * relu, 1x1 conv, hard sigmoid, channel-wise Mul with the map), a strided conv, a second SE whose
     * result scales a residual Add, then global pooling, Flatten and Gemm.
     */
    static Graph squeezeExcite(int h, int w) {
        GraphBuilder b = new GraphBuilder("se");
        Random rnd = new Random(5);
        String x = b.input("input", 1, 3, h, w);
        x = b.node(new Unary("HardSwish", 0, 0), conv(b, rnd, x, 3, 8, Conv.of(3, 2, 1, 1)));
        x = se(b, rnd, x, 8);
        x = b.node(Unary.relu(), conv(b, rnd, x, 8, 12, Conv.of(3, 2, 1, 1)));
        String y = se(b, rnd, conv(b, rnd, x, 12, 12, Conv.of(3, 1, 1, 1)), 12);
        x = b.node(Binary.add(), x, y);
        x = b.node(new Flatten(1), b.node(GlobalPool.average(), x));
        return b.output(gemm(b, rnd, x, 12, 7)).build();
    }

    private static String se(GraphBuilder b, Random rnd, String x, int c) {
        String s = b.node(GlobalPool.average(), x);
        s = b.node(Unary.relu(), conv(b, rnd, s, c, Math.max(1, c / 4), Conv.of(1, 1, 0, 1)));
        s = b.node(new Unary("HardSigmoid", 0.2f, 0.5f), conv(b, rnd, s, Math.max(1, c / 4), c, Conv.of(1, 1, 0, 1)));
        return b.node(new Binary("Mul"), x, s);
    }

    static float[] randoms(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian() * 0.3f;
        }
        return v;
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
