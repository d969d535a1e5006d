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
 * 2-D MaxPool or AveragePool over {@code [N, C, H, W]}.
 *
 * <p>Output size per spatial axis is {@code floor((in + padBegin + padEnd - ((k-1)*d + 1)) / s) + 1}, or
 * with {@code ceilMode} the ceiling, dropping a last window that would start in the end padding
 * (PyTorch and ONNX agree on this). Max ignores padding. Average divides by the number of window
 * positions inside the input, or with {@code countIncludePad} by the number inside the padded input
 * {@code [-padBegin, in + padEnd)} (positions a ceil-mode window reaches past the end padding never
 * count, as in PyTorch and ONNX Runtime).
 *
 * @param type  {@code "MaxPool"} or {@code "AveragePool"}
 * @param pads  explicit pads when {@code autoPad} is NOTSET; null means none
 */
public record Pool(String type, int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW,
                   String autoPad, Pads pads, boolean ceilMode, boolean countIncludePad) implements Op, RowSplittable {

    public Pool {
        if (!type.equals("MaxPool") && !type.equals("AveragePool")) {
            throw new IllegalArgumentException("not a pooling type: " + type);
        }
        if (kernelH <= 0 || kernelW <= 0 || strideH <= 0 || strideW <= 0 || dilationH <= 0 || dilationW <= 0) {
            throw new ModelException(type + ": kernel, strides and dilations must be positive");
        }
    }

    /** A max pool with a square window and symmetric padding, as torchvision builds them. */
    public static Pool max(int k, int stride, int pad, boolean ceilMode) {
        return new Pool("MaxPool", k, k, stride, stride, 1, 1, "NOTSET", Pads.uniform(pad), ceilMode, false);
    }

    /** An average pool with a square window and symmetric padding. */
    public static Pool average(int k, int stride, int pad, boolean ceilMode, boolean countIncludePad) {
        return new Pool("AveragePool", k, k, stride, stride, 1, 1, "NOTSET", Pads.uniform(pad), ceilMode, countIncludePad);
    }

    /** The op of an ONNX MaxPool or AveragePool node; bad attributes give a ModelException naming the node. */
    public static Pool fromAttributes(String type, String nodeName, Attributes a) {
        long[] k = a.getInts("kernel_shape", null);
        if (k == null) {
            throw OpSupport.error(nodeName, type + " needs kernel_shape");
        }
        if (k.length != 2) {
            throw OpSupport.error(nodeName, "only 2-D pooling is supported, kernel_shape has " + k.length + " dimensions");
        }
        if (a.getInt("storage_order", 0) != 0) {
            throw OpSupport.error(nodeName, "MaxPool storage_order=1 is not supported");
        }
        try {
            int[] kk = OpSupport.windowInts("kernel_shape", k, 2, 1);
            int[] s = OpSupport.windowInts("strides", OpSupport.ints(a.getInts("strides", null), 2, 1), 2, 1);
            int[] d = OpSupport.windowInts("dilations", OpSupport.ints(a.getInts("dilations", null), 2, 1), 2, 1);
            if (type.equals("AveragePool") && (d[0] != 1 || d[1] != 1)) {
                throw new ModelException("AveragePool with dilations is not supported");
            }
            return new Pool(type, kk[0], kk[1], s[0], s[1], d[0], d[1],
                    a.getString("auto_pad", "NOTSET"), Pads.of(a.getInts("pads", null)), a.getInt("ceil_mode", 0) != 0,
                    a.getInt("count_include_pad", 0) != 0);
        } catch (ModelException e) {
            throw OpSupport.error(nodeName, e.getMessage());
        }
    }

    /** Explicit pads for an {@code inH x inW} input, from {@code pads} or {@code auto_pad}. */
    public Pads resolvePads(ShapeContext ctx, int inH, int inW) {
        return Pads.resolve(ctx, autoPad, pads, inH, inW, kernelH, kernelW, strideH, strideW, dilationH, dilationW);
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        int[] x = OpSupport.requireRank(ctx, 0, 4);
        Pads p = resolvePads(ctx, x[2], x[3]);
        int oh = Pads.outputSize(x[2], kernelH, strideH, dilationH, p.top(), p.bottom(), ceilMode);
        int ow = Pads.outputSize(x[3], kernelW, strideW, dilationW, p.left(), p.right(), ceilMode);
        if (oh <= 0 || ow <= 0) {
            throw ctx.error("output would be empty for input " + x[2] + "x" + x[3]);
        }
        return new int[][] {{x[0], x[1], oh, ow}};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        return OpSupport.size(out[0]) * kernelH * kernelW;
    }

    @Override
    public int[] inputRows(int r0, int r1, int inputHeight) {
        long[] p = pads == null ? null : new long[] {pads.top(), pads.left(), pads.bottom(), pads.right()};
        return Pads.windowInputRows(r0, r1, inputHeight, kernelH, strideH, dilationH,
                Pads.top(autoPad, p, inputHeight, kernelH, strideH, dilationH));
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        int[] x = ctx.inputShape(0);
        Pads p = resolvePads(ctx, x[2], x[3]);
        int inH = x[2], inW = x[3];
        boolean max = type.equals("MaxPool");
        return (RowKernel) (inputs, inputRow0, out, outRow0, r0, r1) -> {
            if (r1 <= r0) {
                return;
            }
            Tensor in = inputs[0];
            int row0 = inputRow0[0];
            int[] need = inputRows(r0, r1, inH);
            OpSupport.checkBand(in, row0, need, r0, r1);
            int a = need[0], b = need[1];
            int outW = out.dim(3), c = out.dim(1);
            // The band's rows as [row][col][channel], and one output row at a time in NHWC order.
            float[] xb = new float[Math.max(1, (b - a) * inW * c)];
            float[] row = new float[outW * c];
            for (int n = 0; n < out.dim(0); n++) {
                Bands.readRows(in, n, a - row0, b - a, xb);
                for (int oy = r0; oy < r1; oy++) {
                    int ys = oy * strideH - p.top();
                    for (int ox = 0; ox < outW; ox++) {
                        int xs = ox * strideW - p.left();
                        int o = ox * c;
                        java.util.Arrays.fill(row, o, o + c, max ? Float.NEGATIVE_INFINITY : 0f);
                        int count = 0;
                        for (int ky = 0; ky < kernelH; ky++) {
                            int iy = ys + ky * dilationH;
                            if (iy < 0 || iy >= inH) {
                                continue;
                            }
                            for (int kx = 0; kx < kernelW; kx++) {
                                int ix = xs + kx * dilationW;
                                if (ix < 0 || ix >= inW) {
                                    continue;
                                }
                                int base = ((iy - a) * inW + ix) * c;
                                if (max) {
                                    for (int ch = 0; ch < c; ch++) {
                                        row[o + ch] = Math.max(row[o + ch], xb[base + ch]);
                                    }
                                } else {
                                    for (int ch = 0; ch < c; ch++) {
                                        row[o + ch] += xb[base + ch];
                                    }
                                    count++;
                                }
                            }
                        }
                        if (!max) {
                            if (countIncludePad) {
                                int h = Math.min(ys + kernelH, inH + p.bottom()) - Math.max(ys, -p.top());
                                int w = Math.min(xs + kernelW, inW + p.right()) - Math.max(xs, -p.left());
                                count = h * w;
                            }
                            for (int ch = 0; ch < c; ch++) {
                                row[o + ch] = count == 0 ? 0f : row[o + ch] / count;
                            }
                        }
                    }
                    Bands.writeRow(out, n, oy - outRow0, row);
                }
            }
        };
    }
}
