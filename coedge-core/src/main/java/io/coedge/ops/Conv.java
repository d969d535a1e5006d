package io.coedge.ops;

import io.coedge.graph.Attributes;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.RowKernel;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Tensor;

/**
 * 2-D convolution (ONNX Conv): groups, stride, dilation, asymmetric pads, optional bias. Inputs: X
 * {@code [N, C, H, W]}, W {@code [M, C/group, kH, kW]} (a constant), optional B {@code [M]}.
 *
 * @param autoPad ONNX auto_pad; when NOTSET, {@code pads} applies ({@code [top, left, bottom, right]})
 */
public record Conv(int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW,
                   String autoPad, long[] pads, int group) implements io.coedge.graph.Op {

    public static Conv fromAttributes(Attributes a, int[] weightShape) {
        long[] k = a.getInts("kernel_shape", weightShape == null ? null : new long[] {weightShape[2], weightShape[3]});
        if (k == null || k.length != 2) {
            throw new io.coedge.graph.ModelException("Conv needs a 2-D kernel_shape or a constant 4-D weight");
        }
        long[] s = OpSupport.ints(a.getInts("strides", null), 2, 1);
        long[] d = OpSupport.ints(a.getInts("dilations", null), 2, 1);
        return new Conv((int) k[0], (int) k[1], (int) s[0], (int) s[1], (int) d[0], (int) d[1],
                a.getString("auto_pad", "NOTSET"), a.getInts("pads", null), (int) a.getInt("group", 1));
    }

    /** A conv with symmetric padding, as the model zoo builds them. */
    public static Conv of(int k, int stride, int pad, int group) {
        return new Conv(k, k, stride, stride, 1, 1, "NOTSET", new long[] {pad, pad, pad, pad}, group);
    }

    /** The same conv with dilation {@code d} in both directions. */
    public Conv withDilation(int d) {
        return new Conv(kernelH, kernelW, strideH, strideW, d, d, autoPad, pads, group);
    }

    @Override
    public String type() {
        return "Conv";
    }

    public Pads resolvePads(ShapeContext ctx, int inH, int inW) {
        return Pads.resolve(ctx, autoPad, pads, inH, inW, kernelH, kernelW, strideH, strideW, dilationH, dilationW);
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        int[] x = OpSupport.requireRank(ctx, 0, 4);
        int[] w = OpSupport.requireRank(ctx, 1, 4);
        if (group <= 0 || x[1] % group != 0 || w[0] % group != 0) {
            throw ctx.error("channels " + x[1] + " and filters " + w[0] + " are not divisible by group " + group);
        }
        if (w[1] * group != x[1]) {
            throw ctx.error("weight expects " + (w[1] * group) + " input channels, input has " + x[1]);
        }
        if (w[2] != kernelH || w[3] != kernelW) {
            throw ctx.error("kernel_shape " + kernelH + "x" + kernelW + " differs from weight " + w[2] + "x" + w[3]);
        }
        if (ctx.hasInput(2)) {
            int[] b = ctx.inputShape(2);
            if (b.length != 1 || b[0] != w[0]) {
                throw ctx.error("bias must have shape [" + w[0] + "]");
            }
        }
        Pads p = resolvePads(ctx, x[2], x[3]);
        int oh = Pads.outputSize(x[2], kernelH, strideH, dilationH, p.top(), p.bottom(), false);
        int ow = Pads.outputSize(x[3], kernelW, strideW, dilationW, p.left(), p.right(), false);
        if (oh <= 0 || ow <= 0) {
            throw ctx.error("output would be empty for input " + x[2] + "x" + x[3]);
        }
        return new int[][] {{x[0], w[0], oh, ow}};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        int[] o = out[0];
        long macs = (long) o[0] * o[1] * o[2] * o[3] * (in[1][1] * (long) kernelH * kernelW);
        long bias = in.length > 2 && in[2] != null ? (long) o[0] * o[1] * o[2] * o[3] : 0;
        return 2 * macs + bias;
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        int[] x = ctx.inputShape(0);
        int[] w = ctx.inputShape(1);
        Tensor weight = ctx.constant(1);
        if (weight == null) {
            throw ctx.error("weights must be constant");
        }
        Tensor bias = ctx.hasInput(2) ? ctx.constant(2) : null;
        if (ctx.hasInput(2) && bias == null) {
            throw ctx.error("bias must be constant");
        }
        return new Reference(this, resolvePads(ctx, x[2], x[3]), x, w, weight.toLogicalArray(),
                bias == null ? null : bias.toLogicalArray());
    }

    /**
     * Direct convolution over NHWC bands. Weights are re-laid once to {@code [M][kH][kW][C/group]} so
     * the innermost loop walks input channels contiguously in both arrays.
     */
    static final class Reference implements RowKernel {
        private final Conv c;
        private final Pads p;
        private final int inC;
        private final int inH;
        private final int inW;
        private final int outC;
        private final int cpg;
        private final int mpg;
        private final float[] w;
        private final float[] bias;

        Reference(Conv c, Pads p, int[] x, int[] wShape, float[] weightOihw, float[] bias) {
            this.c = c;
            this.p = p;
            this.inC = x[1];
            this.inH = x[2];
            this.inW = x[3];
            this.outC = wShape[0];
            this.cpg = wShape[1];
            this.mpg = outC / c.group;
            this.bias = bias;
            int kh = c.kernelH, kw = c.kernelW;
            this.w = new float[weightOihw.length];
            for (int m = 0; m < outC; m++) {
                for (int ci = 0; ci < cpg; ci++) {
                    for (int y = 0; y < kh; y++) {
                        for (int xx = 0; xx < kw; xx++) {
                            w[((m * kh + y) * kw + xx) * cpg + ci] = weightOihw[((m * cpg + ci) * kh + y) * kw + xx];
                        }
                    }
                }
            }
        }

        @Override
        public void run(Tensor[] inputs, Tensor[] outputs) {
            Tensor x = inputs[0];
            Tensor y = outputs[0];
            if (x.dim(0) == 1) {
                RowKernel.super.run(inputs, outputs);
                return;
            }
            // Batches are not row-banded; run each image through the banded path on a copy.
            try (var arena = java.lang.foreign.Arena.ofConfined()) {
                for (int n = 0; n < x.dim(0); n++) {
                    Tensor xi = Tensor.allocate(arena, 1, inC, inH, inW);
                    Tensor yi = Tensor.allocate(arena, 1, y.dim(1), y.dim(2), y.dim(3));
                    copyImage(x, n, xi);
                    runRows(new Tensor[] {xi}, new int[1], yi, 0, 0, y.dim(2));
                    copyImageBack(yi, y, n);
                }
            }
        }

        @Override
        public void runRows(Tensor[] inputs, int[] inputRow0, Tensor out, int outRow0, int r0, int r1) {
            Tensor x = inputs[0];
            int xRow0 = inputRow0[0];
            int xRows = x.dim(2);
            int outW = out.dim(3);
            int kh = c.kernelH, kw = c.kernelW;
            for (int oy = r0; oy < r1; oy++) {
                for (int ox = 0; ox < outW; ox++) {
                    for (int m = 0; m < outC; m++) {
                        int g = m / mpg;
                        float acc = bias == null ? 0f : bias[m];
                        for (int ky = 0; ky < kh; ky++) {
                            int iy = oy * c.strideH - p.top() + ky * c.dilationH;
                            if (iy < 0 || iy >= inH) {
                                continue;
                            }
                            int local = iy - xRow0;
                            if (local < 0 || local >= xRows) {
                                throw new IllegalStateException("input row " + iy + " is outside the band ["
                                        + xRow0 + ", " + (xRow0 + xRows) + ")");
                            }
                            for (int kx = 0; kx < kw; kx++) {
                                int ix = ox * c.strideW - p.left() + kx * c.dilationW;
                                if (ix < 0 || ix >= inW) {
                                    continue;
                                }
                                long xBase = x.offset4(0, g * cpg, local, ix);
                                int wBase = ((m * kh + ky) * kw + kx) * cpg;
                                for (int ci = 0; ci < cpg; ci++) {
                                    acc += x.get(xBase + ci) * w[wBase + ci];
                                }
                            }
                        }
                        out.set(out.offset4(0, m, oy - outRow0, ox), acc);
                    }
                }
            }
        }
    }

    static void copyImage(Tensor src, int n, Tensor dst) {
        for (int ch = 0; ch < dst.dim(1); ch++) {
            for (int y = 0; y < dst.dim(2); y++) {
                for (int x = 0; x < dst.dim(3); x++) {
                    dst.set(dst.offset4(0, ch, y, x), src.at4(n, ch, y, x));
                }
            }
        }
    }

    static void copyImageBack(Tensor src, Tensor dst, int n) {
        for (int ch = 0; ch < src.dim(1); ch++) {
            for (int y = 0; y < src.dim(2); y++) {
                for (int x = 0; x < src.dim(3); x++) {
                    dst.set(dst.offset4(n, ch, y, x), src.at4(0, ch, y, x));
                }
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Conv other && kernelH == other.kernelH && kernelW == other.kernelW
                && strideH == other.strideH && strideW == other.strideW && dilationH == other.dilationH
                && dilationW == other.dilationW && autoPad.equals(other.autoPad)
                && java.util.Arrays.equals(pads, other.pads) && group == other.group;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(kernelH, kernelW, strideH, strideW, dilationH, dilationW, autoPad,
                java.util.Arrays.hashCode(pads), group);
    }

    @Override
    public String toString() {
        return "Conv[" + kernelH + "x" + kernelW + " s" + strideH + "x" + strideW + " d" + dilationH + "x" + dilationW
                + " pads=" + java.util.Arrays.toString(pads) + " auto_pad=" + autoPad + " group=" + group + "]";
    }
}
