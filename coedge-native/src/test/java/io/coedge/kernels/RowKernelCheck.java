package io.coedge.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.KernelContext;
import io.coedge.graph.Op;
import io.coedge.graph.RowKernel;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;
import java.util.function.Function;

/** Compares a fast row kernel with the reference kernel of the same node, on whole maps and bands. */
final class RowKernelCheck {
    final Graph graph;
    final KernelContext ctx;
    final RowKernel reference;
    final float[] input;
    final int[] inShape;
    final int[] outShape;

    private RowKernelCheck(Graph graph, float[] input) {
        this.graph = graph;
        this.ctx = graph.kernelContext(graph.nodes().get(0));
        this.reference = (RowKernel) graph.nodes().get(0).op().referenceKernel(ctx);
        this.input = input;
        this.inShape = graph.inputs().get(0).shape();
        this.outShape = graph.shape(graph.outputs().get(0));
    }

    /** A one-node conv graph with random weights (and bias when {@code bias}). */
    static RowKernelCheck conv(Random r, Op conv, int c, int h, int w, int m, int cpg, int kh, int kw, boolean bias) {
        GraphBuilder gb = new GraphBuilder("t");
        String in = gb.input("x", 1, c, h, w);
        String wt = gb.constant("w", random(r, m * cpg * kh * kw), m, cpg, kh, kw);
        String y = bias ? gb.node("conv", conv, in, wt, gb.constant("b", random(r, m), m)) : gb.node("conv", conv, in, wt);
        return new RowKernelCheck(gb.output(y).build(), random(r, c * h * w));
    }

    /** A one-node graph applying {@code op} to a random {@code [1, c, h, w]} map. */
    static RowKernelCheck unary(Random r, Op op, int c, int h, int w) {
        GraphBuilder gb = new GraphBuilder("t");
        String in = gb.input("x", 1, c, h, w);
        return new RowKernelCheck(gb.output(gb.node("op", op, in)).build(), random(r, c * h * w));
    }

    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }

    /**
     * Runs output rows {@code [r0, r1)} with both kernels, each given only the input rows
     * {@code [lo, hi)} the window needs (as a device holding that band would), and compares.
     */
    void checkBand(RowKernel fast, int r0, int r1, int lo, int hi) {
        checkBand(fast, r0, r1, lo, hi, false);
    }

    /** {@link #checkBand} for a kernel with a fused ReLU: the reference's rows, clamped at zero. */
    void checkBandThenRelu(RowKernel fast, int r0, int r1, int lo, int hi) {
        checkBand(fast, r0, r1, lo, hi, true);
    }

    /** {@link #checkWhole} for a kernel with a fused ReLU. */
    void checkWholeThenRelu(RowKernel fast) {
        checkBand(fast, 0, outShape[2], 0, inShape[2], true);
    }

    private void checkBand(RowKernel fast, int r0, int r1, int lo, int hi, boolean relu) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.fromLogical(arena, input, inShape);
            Tensor band = x.rows(lo, hi);
            int[] os = outShape.clone();
            os[2] = r1 - r0;
            Tensor expect = Tensor.allocate(arena, os);
            Tensor got = Tensor.allocate(arena, os);
            got.fill(Float.NaN);
            reference.runRows(new Tensor[] {band}, new int[] {lo}, expect, r0, r0, r1);
            if (relu) {
                for (long i = 0; i < expect.size(); i++) {
                    expect.set(i, Math.max(0f, expect.get(i)));
                }
            }
            fast.runRows(new Tensor[] {band}, new int[] {lo}, got, r0, r0, r1);
            compare(expect, got, "rows [" + r0 + ", " + r1 + ") from input rows [" + lo + ", " + hi + ")");
        }
    }

    /** The window rows {@code [lo, hi)} output rows {@code [r0, r1)} read (clipped), for a conv/pool. */
    static int[] inputRows(int r0, int r1, int stride, int padTop, int k, int dilation, int inH) {
        int lo = Math.clamp(r0 * stride - padTop, 0, inH);
        int hi = Math.clamp((r1 - 1) * stride - padTop + (k - 1) * dilation + 1, 0, inH);
        // A window entirely in the padding needs no input row: an empty band.
        return new int[] {lo, Math.max(lo, hi)};
    }

    void checkWhole(RowKernel fast) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.fromLogical(arena, input, inShape);
            Tensor expect = Tensor.allocate(arena, outShape);
            Tensor got = Tensor.allocate(arena, outShape);
            got.fill(Float.NaN);
            reference.run(new Tensor[] {x}, new Tensor[] {expect});
            fast.run(new Tensor[] {x}, new Tensor[] {got});
            compare(expect, got, "whole map");
        }
    }

    static void compare(Tensor expect, Tensor got, String what) {
        float[] e = expect.toLogicalArray(), g = got.toLogicalArray();
        float max = 0;
        for (float v : e) {
            max = Math.max(max, Math.abs(v));
        }
        float tol = 1e-5f * Math.max(1f, max);
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(e[i] - g[i]) <= tol)) {
                assertThat(g[i]).as("%s: element %d of %s (tolerance %g)", what, i, expect.describe(), tol)
                        .isEqualTo(e[i]);
            }
        }
    }

    RowKernel fast(Function<KernelContext, io.coedge.graph.Kernel> provider) {
        io.coedge.graph.Kernel k = provider.apply(ctx);
        assertThat(k).as("provider serves %s", graph.nodes().get(0)).isInstanceOf(RowKernel.class);
        return (RowKernel) k;
    }
}
