package io.coedge.ops;

import io.coedge.graph.Attributes;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.ModelException;
import io.coedge.graph.Op;
import io.coedge.graph.RowKernel;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Tensor;

/**
 * 2-D transposed convolution (ONNX ConvTranspose). Inputs: X {@code [N, C, H, W]}, W
 * {@code [C, M/group, kH, kW]} (constant), optional B {@code [M]}.
 *
 * <p>Output size is {@code s*(in-1) + outputPadding + (k-1)*d + 1 - padBegin - padEnd}. With
 * {@code outputShape} (or SAME auto_pad, where the output is {@code in*s}) the pads come from the
 * total padding {@code s*(in-1) + outputPadding + (k-1)*d + 1 - out}: SAME_UPPER puts the odd unit
 * at the end, otherwise at the beginning (ONNX 1.12 text).
 *
 * <p>The kernel gathers: output {@code (oy, ox)} sums {@code x[iy, ix] * w[ky, kx]} over all
 * {@code oy = iy*s - padTop + ky*d}, which makes every output row computable from a few input rows.
 *
 * @param pads         explicit pads (NOTSET and no outputShape); null means none
 * @param outputShapeH 0 unless an explicit output_shape was given
 */
public record ConvTranspose(int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW,
                            String autoPad, Pads pads, int outputPaddingH, int outputPaddingW,
                            int outputShapeH, int outputShapeW, int group) implements Op, RowSplittable {

    /**
     * The op of an ONNX ConvTranspose node; bad attributes give a ModelException naming the node.
     *
     * @param weightShape shape of the constant weight (gives kernel_shape when the attribute is absent), or null
     */
    public static ConvTranspose fromAttributes(String nodeName, Attributes a, int[] weightShape) {
        if (weightShape != null && weightShape.length != 4) {
            throw OpSupport.error(nodeName, "ConvTranspose supports 2-D kernels only; the weight has shape "
                    + java.util.Arrays.toString(weightShape));
        }
        long[] k = a.getInts("kernel_shape", weightShape == null ? null : new long[] {weightShape[2], weightShape[3]});
        if (k == null || k.length != 2) {
            throw OpSupport.error(nodeName, "ConvTranspose supports 2-D kernels only (kernel_shape or a constant 4-D weight)");
        }
        long[] os = a.getInts("output_shape", null);
        if (os != null && os.length != 2 && os.length != 4) {
            throw OpSupport.error(nodeName, "output_shape must have 2 values");
        }
        try {
            int[] kk = OpSupport.windowInts("kernel_shape", k, 2, 1);
            int[] s = OpSupport.windowInts("strides", OpSupport.ints(a.getInts("strides", null), 2, 1), 2, 1);
            int[] d = OpSupport.windowInts("dilations", OpSupport.ints(a.getInts("dilations", null), 2, 1), 2, 1);
            int[] op = OpSupport.windowInts("output_padding", OpSupport.ints(a.getInts("output_padding", null), 2, 0), 2, 0);
            int[] shape = os == null ? new int[2]
                    : OpSupport.windowInts("output_shape", new long[] {os[os.length - 2], os[os.length - 1]}, 2, 1);
            return new ConvTranspose(kk[0], kk[1], s[0], s[1], d[0], d[1],
                    a.getString("auto_pad", "NOTSET"), Pads.of(a.getInts("pads", null)), op[0], op[1],
                    shape[0], shape[1], OpSupport.group(a));
        } catch (ModelException e) {
            throw OpSupport.error(nodeName, e.getMessage());
        }
    }

    /** Symmetric ConvTranspose as {@code nn.ConvTranspose2d(k, stride, padding, output_padding)} exports. */
    public static ConvTranspose of(int k, int stride, int pad, int outputPadding, int group) {
        return new ConvTranspose(k, k, stride, stride, 1, 1, "NOTSET", Pads.uniform(pad), outputPadding, outputPadding,
                0, 0, group);
    }

    @Override
    public String type() {
        return "ConvTranspose";
    }

    /** {padBegin, padEnd, outSize} along one axis. */
    int[] axis(int in, int k, int s, int d, int outputPadding, int explicitOut, int explicitBegin, int explicitEnd) {
        int full = s * (in - 1) + outputPadding + (k - 1) * d + 1;
        int out;
        boolean upper = autoPad.equals("SAME_UPPER");
        if (explicitOut > 0) {
            out = explicitOut;
        } else if (upper || autoPad.equals("SAME_LOWER")) {
            out = in * s;
        } else if (autoPad.equals("VALID")) {
            return new int[] {0, 0, full};
        } else {
            return new int[] {explicitBegin, explicitEnd, full - explicitBegin - explicitEnd};
        }
        int total = Math.max(0, full - out);
        return upper ? new int[] {total / 2, total - total / 2, out} : new int[] {total - total / 2, total / 2, out};
    }

    private int[] rowsAxis(int inH) {
        return axis(inH, kernelH, strideH, dilationH, outputPaddingH, outputShapeH, pads == null ? 0 : pads.top(),
                pads == null ? 0 : pads.bottom());
    }

    private int[] colsAxis(int inW) {
        return axis(inW, kernelW, strideW, dilationW, outputPaddingW, outputShapeW, pads == null ? 0 : pads.left(),
                pads == null ? 0 : pads.right());
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        int[] x = OpSupport.requireRank(ctx, 0, 4);
        int[] w = OpSupport.requireRank(ctx, 1, 4);
        if (group <= 0 || x[1] % group != 0) {
            throw ctx.error("input channels " + x[1] + " are not divisible by group " + group);
        }
        if (w[0] != x[1]) {
            throw ctx.error("weight has " + w[0] + " input channels, input has " + x[1]);
        }
        if (w[2] != kernelH || w[3] != kernelW) {
            throw ctx.error("kernel_shape " + kernelH + "x" + kernelW + " differs from weight " + w[2] + "x" + w[3]);
        }
        int m = w[1] * group;
        if (ctx.hasInput(2)) {
            int[] b = ctx.inputShape(2);
            if (b.length != 1 || b[0] != m) {
                throw ctx.error("bias must have shape [" + m + "]");
            }
        }
        int oh = rowsAxis(x[2])[2], ow = colsAxis(x[3])[2];
        if (oh <= 0 || ow <= 0) {
            throw ctx.error("output would be empty for input " + x[2] + "x" + x[3]);
        }
        return new int[][] {{x[0], m, oh, ow}};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        long inElems = OpSupport.size(in[0]);
        long mpg = out[0][1] / group;
        long bias = in.length > 2 && in[2] != null ? OpSupport.size(out[0]) : 0;
        return 2 * inElems * mpg * kernelH * kernelW + bias;
    }

    @Override
    public int[] inputRows(int r0, int r1, int inputHeight) {
        if (r1 <= r0) {
            return new int[] {0, 0};
        }
        int top = rowsAxis(inputHeight)[0];
        // iy = (oy + top - ky*d) / s for the ky that divide evenly.
        int a = -Math.floorDiv(-(r0 + top - (kernelH - 1) * dilationH), strideH);
        int b = Math.floorDiv(r1 - 1 + top, strideH) + 1;
        return RowSplittable.sameRows(a, b, inputHeight);
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        int[] x = ctx.inputShape(0);
        Tensor weight = ctx.constant(1);
        if (weight == null) {
            throw ctx.error("weights must be constant");
        }
        if (ctx.hasInput(2) && ctx.constant(2) == null) {
            throw ctx.error("bias must be constant");
        }
        float[] w = weight.toLogicalArray();
        float[] bias = ctx.hasInput(2) ? ctx.constant(2).toLogicalArray() : null;
        int inC = x[1], inH = x[2], inW = x[3];
        int cpg = inC / group;
        int mpg = ctx.inputShape(1)[1];
        int top = rowsAxis(inH)[0], left = colsAxis(inW)[0];
        return (RowKernel) (inputs, inputRow0, out, outRow0, r0, r1) -> {
            Tensor in = inputs[0];
            int row0 = inputRow0[0];
            OpSupport.checkBand(in, row0, inputRows(r0, r1, inH), r0, r1);
            for (int n = 0; n < out.dim(0); n++) {
                for (int oy = r0; oy < r1; oy++) {
                    for (int ox = 0; ox < out.dim(3); ox++) {
                        for (int m = 0; m < out.dim(1); m++) {
                            int g = m / mpg, mm = m % mpg;
                            float acc = bias == null ? 0f : bias[m];
                            for (int ky = 0; ky < kernelH; ky++) {
                                int ty = oy + top - ky * dilationH;
                                if (ty < 0 || ty % strideH != 0 || ty / strideH >= inH) {
                                    continue;
                                }
                                int iy = ty / strideH;
                                for (int kx = 0; kx < kernelW; kx++) {
                                    int tx = ox + left - kx * dilationW;
                                    if (tx < 0 || tx % strideW != 0 || tx / strideW >= inW) {
                                        continue;
                                    }
                                    int ix = tx / strideW;
                                    for (int ci = 0; ci < cpg; ci++) {
                                        int c = g * cpg + ci;
                                        acc += in.at4(n, c, iy - row0, ix) * w[((c * mpg + mm) * kernelH + ky) * kernelW + kx];
                                    }
                                }
                            }
                            out.set(out.offset4(n, m, oy - outRow0, ox), acc);
                        }
                    }
                }
            }
        };
    }
}
