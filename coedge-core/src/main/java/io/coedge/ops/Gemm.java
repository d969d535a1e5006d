package io.coedge.ops;

import io.coedge.graph.Attributes;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.Op;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Shapes;
import io.coedge.tensor.Tensor;
import java.util.Arrays;

/**
 * General matrix multiply: {@code Y = alpha * A' * B' + beta * C} with {@code A'} = A or its
 * transpose ({@code transA}), likewise B; A' is {@code [M, K]}, B' is {@code [K, N]}, and the
 * optional C broadcasts (numpy rules, one direction) to {@code [M, N]}. A fully connected layer is
 * {@code Gemm(transB=1)} with the weight {@code [N, K]} as B.
 */
public record Gemm(float alpha, float beta, boolean transA, boolean transB) implements Op {

    /** A fully connected layer: {@code y = x * W^T + b}. */
    public static Gemm linear() {
        return new Gemm(1f, 1f, false, true);
    }

    /** The op of an ONNX Gemm node (alpha, beta, transA, transB). */
    public static Gemm fromAttributes(Attributes a) {
        return new Gemm(a.getFloat("alpha", 1f), a.getFloat("beta", 1f), a.getInt("transA", 0) != 0,
                a.getInt("transB", 0) != 0);
    }

    @Override
    public String type() {
        return "Gemm";
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        int[] a = OpSupport.requireRank(ctx, 0, 2);
        int[] b = OpSupport.requireRank(ctx, 1, 2);
        int m = transA ? a[1] : a[0], k = transA ? a[0] : a[1];
        int kb = transB ? b[1] : b[0], n = transB ? b[0] : b[1];
        if (k != kb) {
            throw ctx.error("A" + (transA ? "^T" : "") + " is " + m + "x" + k + " but B" + (transB ? "^T" : "") + " is "
                    + kb + "x" + n);
        }
        if (ctx.hasInput(2)) {
            int[] c = ctx.inputShape(2);
            int[] out = {m, n};
            boolean ok = c.length <= 2;
            try {
                ok = ok && Arrays.equals(Shapes.broadcast(out, c), out);
            } catch (IllegalArgumentException e) {
                ok = false;
            }
            if (!ok) {
                throw ctx.error("C of shape " + Arrays.toString(c) + " does not broadcast to [" + m + ", " + n + "]");
            }
        }
        return new int[][] {{m, n}};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        int k = transA ? in[0][0] : in[0][1];
        long mn = (long) out[0][0] * out[0][1];
        return 2 * mn * k + (in.length > 2 && in[2] != null ? 2 * mn : 0);
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        int[] as = ctx.inputShape(0);
        int[] out = ctx.outputShape(0);
        int m = out[0], n = out[1], k = transA ? as[0] : as[1];
        int[] cShape = ctx.hasInput(2) ? OpSupport.padLeft(ctx.inputShape(2), 2) : null;
        return (inputs, outputs) -> {
            // A is small (activations); B is usually a large weight, read in place.
            float[] a = inputs[0].toLogicalArray();
            Tensor b = inputs[1];
            Tensor c = inputs.length > 2 ? inputs[2] : null;
            Tensor y = outputs[0];
            float[] acc = new float[n];
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(acc, 0f);
                if (transB) {
                    for (int j = 0; j < n; j++) {
                        float s = 0;
                        long bRow = (long) j * k;
                        for (int p = 0; p < k; p++) {
                            s += (transA ? a[p * m + i] : a[i * k + p]) * b.get(bRow + p);
                        }
                        acc[j] = s;
                    }
                } else {
                    for (int p = 0; p < k; p++) {
                        float av = transA ? a[p * m + i] : a[i * k + p];
                        long bRow = (long) p * n;
                        for (int j = 0; j < n; j++) {
                            acc[j] += av * b.get(bRow + j);
                        }
                    }
                }
                for (int j = 0; j < n; j++) {
                    float v = alpha * acc[j];
                    if (c != null) {
                        int ci = cShape[0] == 1 ? 0 : i;
                        int cj = cShape[1] == 1 ? 0 : j;
                        v += beta * c.get((long) ci * cShape[1] + cj);
                    }
                    y.set((long) i * n + j, v);
                }
            }
        };
    }
}
