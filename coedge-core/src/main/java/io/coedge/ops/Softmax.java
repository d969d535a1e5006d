package io.coedge.ops;

import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.Op;
import io.coedge.graph.ShapeContext;

/**
 * Softmax. From opset 13 it normalises along {@code axis} (default -1). Before opset 13
 * ({@code coerce2d}) the input is viewed as 2-D {@code [prod(d[0, axis)), prod(d[axis, rank))]}
 * (default axis 1) and each row is normalised, so e.g. axis 1 of {@code [N, C, H, W]} normalises over
 * all of C*H*W.
 */
public record Softmax(int axis, boolean coerce2d) implements Op {

    /** The op of an ONNX Softmax node: before opset 13 the 2-D coercion with default axis 1, from 13 one axis, default -1. */
    public static Softmax fromAttributes(io.coedge.graph.Attributes a, int opset) {
        boolean legacy = opset < 13;
        return new Softmax((int) a.getInt("axis", legacy ? 1 : -1), legacy);
    }

    /** Softmax over the last axis (opset 13 semantics). */
    public static Softmax lastAxis() {
        return new Softmax(-1, false);
    }

    @Override
    public String type() {
        return "Softmax";
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        int[] x = ctx.inputShape(0);
        OpSupport.axis(ctx, axis, Math.max(1, x.length));
        return new int[][] {x};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        return 5 * OpSupport.size(out[0]);
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        int[] shape = ctx.inputShape(0);
        int ax = OpSupport.axis(ctx, axis, Math.max(1, shape.length));
        long outer = OpSupport.product(shape, 0, ax);
        long len = coerce2d ? OpSupport.product(shape, ax, shape.length) : shape.length == 0 ? 1 : shape[ax];
        long inner = coerce2d ? 1 : OpSupport.product(shape, ax + 1, shape.length);
        return (inputs, outputs) -> {
            float[] x = inputs[0].toLogicalArray();
            float[] y = new float[x.length];
            for (long o = 0; o < outer; o++) {
                for (long i = 0; i < inner; i++) {
                    long base = o * len * inner + i;
                    float max = Float.NEGATIVE_INFINITY;
                    for (long j = 0; j < len; j++) {
                        max = Math.max(max, x[(int) (base + j * inner)]);
                    }
                    double sum = 0;
                    for (long j = 0; j < len; j++) {
                        int at = (int) (base + j * inner);
                        y[at] = (float) Math.exp(x[at] - max);
                        sum += y[at];
                    }
                    for (long j = 0; j < len; j++) {
                        int at = (int) (base + j * inner);
                        y[at] = (float) (y[at] / sum);
                    }
                }
            }
            OpSupport.writeLogical(outputs[0], y);
        };
    }
}
