package io.coedge.ops;

import io.coedge.graph.Attributes;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.Op;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Tensor;
import java.util.function.IntFunction;

/**
 * Clip: {@code min(max(x, min), max)} element-wise. Before opset 11 the bounds are attributes; from
 * opset 11 they are optional inputs 1 and 2, which must be constants here (ReLU6 exports make them
 * so). Row-local, so any band is computed from the same rows of its input.
 */
public record Clip(float min, float max) implements Op, RowSplittable {

    /** ReLU6 as MobileNet exports it. */
    public static Clip relu6() {
        return new Clip(0f, 6f);
    }

    /** The op of an ONNX Clip node: bounds as attributes (before opset 11) or constant inputs 1 and 2. */
    public static Clip fromAttributes(String nodeName, Attributes a, int opset, IntFunction<Tensor> constantInputs) {
        if (opset < 11) {
            return new Clip(a.getFloat("min", -Float.MAX_VALUE), a.getFloat("max", Float.MAX_VALUE));
        }
        return new Clip(bound(nodeName, constantInputs.apply(1), "min", Float.NEGATIVE_INFINITY),
                bound(nodeName, constantInputs.apply(2), "max", Float.POSITIVE_INFINITY));
    }

    private static float bound(String nodeName, Tensor t, String what, float dflt) {
        if (t == null || t.size() == 0) {
            return dflt;
        }
        if (t.size() != 1) {
            throw OpSupport.error(nodeName, "Clip " + what + " must be a scalar, got " + t.describe());
        }
        return t.get(0);
    }

    @Override
    public String type() {
        return "Clip";
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        for (int i = 1; i <= 2; i++) {
            if (ctx.hasInput(i) && ctx.constant(i) == null) {
                throw ctx.error("Clip " + (i == 1 ? "min" : "max") + " must be a constant input");
            }
        }
        return new int[][] {ctx.inputShape(0)};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        return 2 * OpSupport.size(out[0]);
    }

    @Override
    public int[] inputRows(int r0, int r1, int inputHeight) {
        return RowSplittable.sameRows(r0, r1, inputHeight);
    }

    float apply(float x) {
        // NaN stays NaN, as in ONNX Runtime.
        return x < min ? min : (x > max ? max : x);
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        return ElementwiseSupport.rowLocal(this::apply);
    }
}
