package io.coedge.ops;

import io.coedge.graph.Attributes;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.Op;
import io.coedge.graph.ShapeContext;

/**
 * Element-wise activations with no parameters beyond attributes: Relu, Sigmoid, HardSigmoid,
 * HardSwish, and Identity (Dropout at inference). Clip with attribute bounds is {@link Clip}.
 */
public record Unary(String type, float alpha, float beta) implements Op, RowSplittable {

    /** Relu. */
    public static Unary relu() {
        return new Unary("Relu", 0, 0);
    }

    /** The op of an ONNX Relu, Sigmoid, HardSigmoid, HardSwish, Dropout or Identity node. */
    public static Unary fromAttributes(String type, Attributes a) {
        return switch (type) {
            case "HardSigmoid" -> new Unary(type, a.getFloat("alpha", 0.2f), a.getFloat("beta", 0.5f));
            case "Dropout", "Identity" -> new Unary("Identity", 0, 0);
            default -> new Unary(type, 0, 0);
        };
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        return new int[][] {ctx.inputShape(0)};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        long n = 1;
        for (int d : out[0]) {
            n *= d;
        }
        return switch (type) {
            case "Identity" -> 0;
            case "Relu" -> n;
            default -> 4 * n;
        };
    }

    float apply(float x) {
        return switch (type) {
            case "Relu" -> x > 0 ? x : 0f;
            case "Sigmoid" -> (float) (1.0 / (1.0 + Math.exp(-x)));
            case "HardSigmoid" -> Math.max(0f, Math.min(1f, alpha * x + beta));
            case "HardSwish" -> x * Math.max(0f, Math.min(1f, x / 6f + 0.5f));
            case "Identity" -> x;
            default -> throw new IllegalStateException("unknown unary op " + type);
        };
    }

    @Override
    public int[] inputRows(int r0, int r1, int inputHeight) {
        return RowSplittable.sameRows(r0, r1, inputHeight);
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        return ElementwiseSupport.rowLocal(this::apply);
    }
}
