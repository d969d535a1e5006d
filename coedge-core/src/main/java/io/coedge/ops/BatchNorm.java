package io.coedge.ops;

import io.coedge.graph.Attributes;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.Op;
import io.coedge.graph.RowKernel;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Tensor;

/**
 * BatchNormalization in inference mode: {@code y = (x - mean) / sqrt(var + epsilon) * scale + B} per
 * channel (dimension 1). Inputs: X, scale, B, mean, var; the last four must be constants. Usually
 * folded into the preceding Conv by {@link io.coedge.graph.passes.FoldBatchNorm}; this kernel covers
 * the rest (e.g. BN after a Concat or an Add).
 */
public record BatchNorm(float epsilon) implements Op, RowSplittable {

    /** The op of an ONNX BatchNormalization node in inference mode. */
    public static BatchNorm fromAttributes(String nodeName, Attributes a) {
        if (a.getInt("training_mode", 0) != 0) {
            throw OpSupport.error(nodeName, "BatchNormalization with training_mode=1 is not supported; export the model in eval mode");
        }
        return new BatchNorm(a.getFloat("epsilon", 1e-5f));
    }

    @Override
    public String type() {
        return "BatchNormalization";
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        int[] x = ctx.inputShape(0);
        if (x.length < 2) {
            throw ctx.error("input must have a channel dimension, got rank " + x.length);
        }
        String[] names = {"scale", "B", "mean", "var"};
        for (int i = 1; i <= 4; i++) {
            int[] s = ctx.inputShape(i);
            if (s.length != 1 || s[0] != x[1]) {
                throw ctx.error(names[i - 1] + " must have shape [" + x[1] + "]");
            }
            if (ctx.constant(i) == null) {
                throw ctx.error(names[i - 1] + " must be a constant");
            }
        }
        return new int[][] {x};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        return 2 * OpSupport.size(out[0]);
    }

    @Override
    public int[] inputRows(int r0, int r1, int inputHeight) {
        return RowSplittable.sameRows(r0, r1, inputHeight);
    }

    /**
     * Per-channel {@code {a, b}} with {@code y = a*x + b}: {@code a = scale / sqrt(var + eps)},
     * {@code b = B - mean * a}. Also what folding into a conv uses.
     */
    public float[][] affine(Tensor scale, Tensor bias, Tensor mean, Tensor var) {
        float[] s = scale.toLogicalArray(), b = bias.toLogicalArray(), m = mean.toLogicalArray(), v = var.toLogicalArray();
        float[] a = new float[s.length];
        float[] c = new float[s.length];
        for (int i = 0; i < s.length; i++) {
            a[i] = (float) (s[i] / Math.sqrt((double) v[i] + epsilon));
            c[i] = b[i] - m[i] * a[i];
        }
        return new float[][] {a, c};
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        float[][] ab = affine(ctx.constant(1), ctx.constant(2), ctx.constant(3), ctx.constant(4));
        float[] a = ab[0], b = ab[1];
        int[] shape = ctx.inputShape(0);
        return new RowKernel() {
            @Override
            public void run(Tensor[] inputs, Tensor[] outputs) {
                if (shape.length == 4) {
                    runRows(inputs, new int[inputs.length], outputs[0], 0, 0, outputs[0].dim(2));
                    return;
                }
                Tensor x = inputs[0], y = outputs[0];
                int[] idx = new int[shape.length];
                for (long i = 0, n = y.size(); i < n; i++) {
                    int c = idx[1];
                    y.set(y.offset(idx), a[c] * x.get(x.offset(idx)) + b[c]);
                    ElementwiseSupport.increment(idx, shape);
                }
            }

            @Override
            public void runRows(Tensor[] inputs, int[] inputRow0, Tensor out, int outRow0, int r0, int r1) {
                Tensor x = inputs[0];
                for (int n = 0; n < out.dim(0); n++) {
                    for (int y = r0; y < r1; y++) {
                        for (int w = 0; w < out.dim(3); w++) {
                            for (int c = 0; c < out.dim(1); c++) {
                                out.set(out.offset4(n, c, y - outRow0, w), a[c] * x.at4(n, c, y - inputRow0[0], w) + b[c]);
                            }
                        }
                    }
                }
            }
        };
    }
}
