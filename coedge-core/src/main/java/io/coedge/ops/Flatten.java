package io.coedge.ops;

import io.coedge.graph.Attributes;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.Op;
import io.coedge.graph.ShapeContext;

/**
 * Flatten to 2-D: {@code [prod(d[0, axis)), prod(d[axis, rank))]}, values in logical order (an NHWC
 * feature map is read in NCHW order, as ONNX means).
 */
public record Flatten(int axis) implements Op {

    /** The op of an ONNX Flatten node (axis defaults to 1). */
    public static Flatten fromAttributes(Attributes a) {
        return new Flatten((int) a.getInt("axis", 1));
    }

    @Override
    public String type() {
        return "Flatten";
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        int[] x = ctx.inputShape(0);
        long ax = axis < 0 ? axis + x.length : axis;
        if (ax < 0 || ax > x.length) {
            throw ctx.error("axis " + axis + " is out of range for rank " + x.length);
        }
        return new int[][] {{(int) OpSupport.product(x, 0, (int) ax), (int) OpSupport.product(x, (int) ax, x.length)}};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        return 0;
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        return (inputs, outputs) -> OpSupport.copyLogical(inputs[0], outputs[0]);
    }
}
