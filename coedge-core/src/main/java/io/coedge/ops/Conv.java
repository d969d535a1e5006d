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
                   String autoPad, long[] pads, int group) implements io.coedge.graph.Op, RowSplittable {

    /**
     * The op of an ONNX Conv node.
     *
     * @param weightShape shape of the constant weight (gives kernel_shape when the attribute is absent), or null
     * @throws io.coedge.graph.ModelException for attributes out of range (the caller adds the node)
     */
    public static Conv fromAttributes(Attributes a, int[] weightShape) {
        if (weightShape != null && weightShape.length != 4) {
            throw new io.coedge.graph.ModelException("Conv supports 2-D kernels only; the weight has shape "
                    + java.util.Arrays.toString(weightShape));
        }
        long[] k = a.getInts("kernel_shape", weightShape == null ? null : new long[] {weightShape[2], weightShape[3]});
        if (k == null || k.length != 2) {
            throw new io.coedge.graph.ModelException("Conv needs a 2-D kernel_shape or a constant 4-D weight");
        }
        int[] kk = OpSupport.windowInts("kernel_shape", k, 2, 1);
        int[] s = OpSupport.windowInts("strides", OpSupport.ints(a.getInts("strides", null), 2, 1), 2, 1);
        int[] d = OpSupport.windowInts("dilations", OpSupport.ints(a.getInts("dilations", null), 2, 1), 2, 1);
        long[] pads = a.getInts("pads", null);
        if (pads != null) {
            OpSupport.windowInts("pads", pads, 4, 0);
        }
        return new Conv(kk[0], kk[1], s[0], s[1], d[0], d[1], a.getString("auto_pad", "NOTSET"), pads, OpSupport.group(a));
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

    /** Explicit pads for an {@code inH x inW} input, from {@code pads} or {@code auto_pad}. */
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

    @Override
    public int[] inputRows(int r0, int r1, int inputHeight) {
        return Pads.windowInputRows(r0, r1, inputHeight, kernelH, strideH, dilationH,
                Pads.top(autoPad, pads, inputHeight, kernelH, strideH, dilationH));
    }

    /**
     * Direct convolution over NHWC bands.
     *
     * <p>Every output element is {@code bias + sum over (ky, kx, ci) in that order} of input times
     * weight, skipping padding, exactly as the ONNX definition reads. To be quick enough for whole
     * networks without changing that order, the kernel copies the input rows of the band into a
     * {@code float[]} once, accumulates one output row at a time in one small {@code float[]} per
     * (output column, group), and for each {@code (ky, kx, ci)} adds {@code x * w[..][m]} across all
     * output channels {@code m} of the group. Weights are re-laid once into one {@code float[]} of
     * {@code M/group} values per {@code (group, ky, kx, ci)}. Accumulator and weight row are then read
     * with the same index from offset 0, which lets the JIT vectorise the loop (with two different
     * offsets into float arrays it cannot rule out aliasing and stays scalar, about 6 times slower).
     * Per output the additions happen in
     * the same sequence as in {@link #runRowsSimple}, so both give identical bits.
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
        /** {@code [M][kH][kW][C/group]}, for the simple loop. */
        private final float[] w;
        /** Rows {@code [group][kH][kW][C/group]} of {@code M/group} weights each, for the fast loop. */
        private final float[][] wRows;
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
            this.wRows = new float[c.group * kh * kw * cpg][mpg];
            for (int m = 0; m < outC; m++) {
                int g = m / mpg, mm = m % mpg;
                for (int ci = 0; ci < cpg; ci++) {
                    for (int y = 0; y < kh; y++) {
                        for (int xx = 0; xx < kw; xx++) {
                            float v = weightOihw[((m * cpg + ci) * kh + y) * kw + xx];
                            w[((m * kh + y) * kw + xx) * cpg + ci] = v;
                            wRows[((g * kh + y) * kw + xx) * cpg + ci][mm] = v;
                        }
                    }
                }
            }
        }

        @Override
        public void runRows(Tensor[] inputs, int[] inputRow0, Tensor out, int outRow0, int r0, int r1) {
            if (r1 <= r0) {
                return;
            }
            Tensor x = inputs[0];
            int xRow0 = inputRow0[0];
            int[] need = c.inputRows(r0, r1, inH);
            int a = need[0], b = need[1];
            if (a < b && (a < xRow0 || b > xRow0 + x.dim(2))) {
                throw new IllegalStateException("output rows [" + r0 + ", " + r1 + ") need input rows [" + a + ", "
                        + b + "), the band holds [" + xRow0 + ", " + (xRow0 + x.dim(2)) + ")");
            }
            int kh = c.kernelH, kw = c.kernelW, sh = c.strideH, sw = c.strideW, dh = c.dilationH, dw = c.dilationW;
            int groups = c.group;
            int outW = out.dim(3);
            int rowLen = inW * inC;
            float[] xb = new float[Math.max(1, (b - a) * rowLen)];
            // One accumulator array per (output column, group): the inner loops then index the
            // accumulators and the weight row with the same index, which the JIT vectorises.
            float[][] acc = new float[outW * groups][mpg];
            float[] row = new float[outW * outC];
            for (int n = 0; n < out.dim(0); n++) {
                Bands.readRows(x, n, a - xRow0, b - a, xb);
                for (int oy = r0; oy < r1; oy++) {
                    for (int ox = 0; ox < outW; ox++) {
                        for (int g = 0; g < groups; g++) {
                            if (bias == null) {
                                java.util.Arrays.fill(acc[ox * groups + g], 0f);
                            } else {
                                System.arraycopy(bias, g * mpg, acc[ox * groups + g], 0, mpg);
                            }
                        }
                    }
                    for (int g = 0; g < groups; g++) {
                        int cOff = g * cpg;
                        for (int ky = 0; ky < kh; ky++) {
                            int iy = oy * sh - p.top() + ky * dh;
                            if (iy < 0 || iy >= inH) {
                                continue;
                            }
                            int rowBase = (iy - a) * rowLen + cOff;
                            for (int kx = 0; kx < kw; kx++) {
                                // Output columns whose window column kx lies inside the map.
                                int oxLo = Math.max(0, ceilDiv(p.left() - kx * dw, sw));
                                int oxHi = Math.min(outW, Math.floorDiv(inW - 1 + p.left() - kx * dw, sw) + 1);
                                int step = sw * inC;
                                for (int ci = 0; ci < cpg; ci++) {
                                    float[] wr = wRows[((g * kh + ky) * kw + kx) * cpg + ci];
                                    int ox = oxLo;
                                    // Four output columns share each weight load.
                                    for (; ox + 3 < oxHi; ox += 4) {
                                        int xi = rowBase + (ox * sw - p.left() + kx * dw) * inC + ci;
                                        float x0 = xb[xi], x1 = xb[xi + step], x2 = xb[xi + 2 * step], x3 = xb[xi + 3 * step];
                                        float[] a0 = acc[ox * groups + g], a1 = acc[(ox + 1) * groups + g];
                                        float[] a2 = acc[(ox + 2) * groups + g], a3 = acc[(ox + 3) * groups + g];
                                        for (int mm = 0; mm < mpg; mm++) {
                                            float wv = wr[mm];
                                            a0[mm] += x0 * wv;
                                            a1[mm] += x1 * wv;
                                            a2[mm] += x2 * wv;
                                            a3[mm] += x3 * wv;
                                        }
                                    }
                                    for (; ox < oxHi; ox++) {
                                        float xv = xb[rowBase + (ox * sw - p.left() + kx * dw) * inC + ci];
                                        float[] a0 = acc[ox * groups + g];
                                        for (int mm = 0; mm < mpg; mm++) {
                                            a0[mm] += xv * wr[mm];
                                        }
                                    }
                                }
                            }
                        }
                    }
                    for (int ox = 0; ox < outW; ox++) {
                        for (int g = 0; g < groups; g++) {
                            System.arraycopy(acc[ox * groups + g], 0, row, ox * outC + g * mpg, mpg);
                        }
                    }
                    Bands.writeRow(out, n, oy - outRow0, row);
                }
            }
        }

        private static int ceilDiv(int a, int b) {
            return -Math.floorDiv(-a, b);
        }

        /**
         * The plain loop straight from the definition (one multiply-add per element read through the
         * tensor). Kept as the oracle of {@link #runRows} in tests.
         */
        void runRowsSimple(Tensor[] inputs, int[] inputRow0, Tensor out, int outRow0, int r0, int r1) {
            Tensor x = inputs[0];
            int xRow0 = inputRow0[0];
            int xRows = x.dim(2);
            int outW = out.dim(3);
            int kh = c.kernelH, kw = c.kernelW;
            for (int n = 0; n < out.dim(0); n++) {
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
                                    for (int ci = 0; ci < cpg; ci++) {
                                        acc += x.at4(n, g * cpg + ci, local, ix) * w[((m * kh + ky) * kw + kx) * cpg + ci];
                                    }
                                }
                            }
                            out.set(out.offset4(n, m, oy - outRow0, ox), acc);
                        }
                    }
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
