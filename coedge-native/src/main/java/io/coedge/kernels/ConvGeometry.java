package io.coedge.kernels;

import io.coedge.graph.KernelContext;
import io.coedge.ops.Conv;
import io.coedge.ops.Pads;
import io.coedge.tensor.Tensor;

/**
 * Everything about one convolution node a fast kernel needs, resolved once: sizes, window, pads, and
 * the weights and bias as plain arrays in ONNX order.
 */
record ConvGeometry(int inC, int inH, int inW, int outC, int outH, int outW, int kh, int kw, int sh, int sw,
                    int dh, int dw, int padTop, int padLeft, int group, float[] weightOihw, float[] bias) {

    /** Channels per group on the input side. */
    int cpg() {
        return inC / group;
    }

    /** Filters per group. */
    int mpg() {
        return outC / group;
    }

    /** Length of one im2col row: the window of one group, ordered (ky, kx, c) as NHWC lays it out. */
    int patch() {
        return kh * kw * cpg();
    }

    boolean pointwise() {
        // Bottom/right padding would add output pixels that read no input: also require equal sizes.
        return kh == 1 && kw == 1 && sh == 1 && sw == 1 && padTop == 0 && padLeft == 0 && outH == inH && outW == inW;
    }

    boolean depthwise() {
        return group == inC && group == outC && group > 1;
    }

    /** Input rows {@code [lo, hi)} the output rows {@code [r0, r1)} read, clipped to the map. */
    int firstInputRow(int r0) {
        return Math.max(0, r0 * sh - padTop);
    }

    int endInputRow(int r1) {
        return Math.min(inH, (r1 - 1) * sh - padTop + (kh - 1) * dh + 1);
    }

    /** Throws when the band {@code x} (starting at full-map row {@code xRow0}) lacks a needed row. */
    void checkBand(Tensor x, int xRow0, Tensor out, int outRow0, int r0, int r1) {
        if (r0 < outRow0 || r1 > outRow0 + out.dim(2) || r0 > r1) {
            throw new IllegalArgumentException("output rows [" + r0 + ", " + r1 + ") are outside the output band ["
                    + outRow0 + ", " + (outRow0 + out.dim(2)) + ")");
        }
        if (x.dim(1) != inC || x.dim(3) != inW || out.dim(1) != outC || out.dim(3) != outW) {
            throw new IllegalArgumentException("band shapes " + x.describe() + " -> " + out.describe()
                    + " do not match the prepared conv " + inC + "x" + inH + "x" + inW + " -> " + outC + "x" + outH + "x" + outW);
        }
        if (r0 == r1) {
            return;
        }
        int lo = firstInputRow(r0), hi = endInputRow(r1);
        if (lo < hi && (lo < xRow0 || hi > xRow0 + x.dim(2))) {
            throw new IllegalStateException("input rows [" + lo + ", " + hi + ") are needed but the band holds ["
                    + xRow0 + ", " + (xRow0 + x.dim(2)) + ")");
        }
    }

    /** The geometry of a Conv node, or null when a fast kernel cannot serve it (batch > 1, weights not constant). */
    static ConvGeometry of(Conv c, KernelContext ctx) {
        int[] x = ctx.inputShape(0);
        int[] y = ctx.outputShape(0);
        if (x.length != 4 || x[0] != 1) {
            return null;
        }
        Tensor w = ctx.constant(1);
        Tensor b = ctx.hasInput(2) ? ctx.constant(2) : null;
        if (w == null || (ctx.hasInput(2) && b == null)) {
            return null;
        }
        Pads p = c.resolvePads(ctx, x[2], x[3]);
        return new ConvGeometry(x[1], x[2], x[3], y[1], y[2], y[3], c.kernelH(), c.kernelW(), c.strideH(), c.strideW(),
                c.dilationH(), c.dilationW(), p.top(), p.left(), c.group(), w.toLogicalArray(),
                b == null ? null : b.toLogicalArray());
    }

    /** FLOPs of output rows {@code [r0, r1)} (multiply-adds count two). */
    long flops(int rows) {
        return 2L * rows * outW * outC * patch();
    }
}
