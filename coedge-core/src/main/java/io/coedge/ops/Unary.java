package io.coedge.ops;

import io.coedge.graph.Attributes;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.Op;
import io.coedge.graph.RowKernel;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Tensor;

/**
 * Element-wise activations with no parameters beyond attributes: Relu, Sigmoid, HardSigmoid,
 * HardSwish, and Identity (Dropout at inference). Clip with attribute bounds is {@link Clip}.
 */
public record Unary(String type, float alpha, float beta) implements Op {

    public static Unary relu() {
        return new Unary("Relu", 0, 0);
    }

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
    public Kernel referenceKernel(KernelContext ctx) {
        return (RowKernel) (inputs, inputRow0, out, outRow0, r0, r1) -> {
            Tensor x = inputs[0];
            if (x.rank() == 4 && x.layout() == out.layout()) {
                // Same layout: rows [r0, r1) of out map to rows of x shifted by the band offsets.
                long rowElems = (long) out.dim(1) * out.dim(3);
                long xStart = (r0 - inputRow0[0]) * rowElems;
                long oStart = (r0 - outRow0) * rowElems;
                for (long i = 0, n = (r1 - r0) * rowElems * out.dim(0); i < n; i++) {
                    out.set(oStart + i, apply(x.get(xStart + i)));
                }
                return;
            }
            ElementwiseSupport.mapLogical(x, out, this::apply);
        };
    }
}
