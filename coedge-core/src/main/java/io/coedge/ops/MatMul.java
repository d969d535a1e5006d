package io.coedge.ops;

import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.Op;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Shapes;
import io.coedge.tensor.Tensor;
import java.util.Arrays;

/**
 * Matrix product with numpy semantics: the last two dimensions multiply, leading (batch) dimensions
 * broadcast; a 1-D first operand is a row vector and a 1-D second operand a column vector, whose
 * added dimension is removed from the result.
 */
public record MatMul() implements Op {

    @Override
    public String type() {
        return "MatMul";
    }

    /** {batchShape, aBatch, bBatch, {m, k, n}, outShape}. */
    private static int[][] plan(int[] a, int[] b, java.util.function.Function<String, RuntimeException> err) {
        if (a.length == 0 || b.length == 0) {
            throw err.apply("MatMul operands must have rank >= 1");
        }
        int[] a2 = a.length == 1 ? new int[] {1, a[0]} : a;
        int[] b2 = b.length == 1 ? new int[] {b[0], 1} : b;
        int m = a2[a2.length - 2], k = a2[a2.length - 1], kb = b2[b2.length - 2], n = b2[b2.length - 1];
        if (k != kb) {
            throw err.apply("inner dimensions differ: " + Arrays.toString(a) + " x " + Arrays.toString(b));
        }
        int[] aBatch = Arrays.copyOf(a2, a2.length - 2);
        int[] bBatch = Arrays.copyOf(b2, b2.length - 2);
        int[] batch;
        try {
            batch = Shapes.broadcast(aBatch, bBatch);
        } catch (IllegalArgumentException e) {
            throw err.apply("batch dimensions do not broadcast: " + Arrays.toString(a) + " x " + Arrays.toString(b));
        }
        int[] out = Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = m;
        out[batch.length + 1] = n;
        if (a.length == 1 && b.length == 1) {
            out = new int[0];
        } else if (a.length == 1) {
            out = removeAt(out, out.length - 2);
        } else if (b.length == 1) {
            out = removeAt(out, out.length - 1);
        }
        return new int[][] {batch, OpSupport.padLeft(aBatch, batch.length), OpSupport.padLeft(bBatch, batch.length),
            {m, k, n}, out};
    }

    private static int[] removeAt(int[] s, int i) {
        int[] o = new int[s.length - 1];
        System.arraycopy(s, 0, o, 0, i);
        System.arraycopy(s, i + 1, o, i, s.length - i - 1);
        return o;
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        return new int[][] {plan(ctx.inputShape(0), ctx.inputShape(1), ctx::error)[4]};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        int[][] p = plan(in[0], in[1], IllegalArgumentException::new);
        return 2 * OpSupport.size(p[0]) * p[3][0] * p[3][1] * p[3][2];
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        int[][] p = plan(ctx.inputShape(0), ctx.inputShape(1), ctx::error);
        int[] batch = p[0], aB = p[1], bB = p[2];
        int m = p[3][0], k = p[3][1], n = p[3][2];
        return (inputs, outputs) -> {
            Tensor a = inputs[0], b = inputs[1];
            boolean aRowMajor = a.layout() == io.coedge.tensor.Layout.ROW_MAJOR;
            boolean bRowMajor = b.layout() == io.coedge.tensor.Layout.ROW_MAJOR;
            float[] av = aRowMajor ? null : a.toLogicalArray();
            float[] bv = bRowMajor ? null : b.toLogicalArray();
            float[] y = new float[(int) (OpSupport.size(batch) * m * n)];
            int[] idx = new int[batch.length];
            float[] acc = new float[n];
            long batches = OpSupport.size(batch);
            for (long t = 0; t < batches; t++) {
                long aOff = 0, bOff = 0;
                for (int d = 0; d < batch.length; d++) {
                    aOff = aOff * aB[d] + (aB[d] == 1 ? 0 : idx[d]);
                    bOff = bOff * bB[d] + (bB[d] == 1 ? 0 : idx[d]);
                }
                aOff *= (long) m * k;
                bOff *= (long) k * n;
                for (int i = 0; i < m; i++) {
                    Arrays.fill(acc, 0f);
                    for (int q = 0; q < k; q++) {
                        long ai = aOff + (long) i * k + q;
                        float x = aRowMajor ? a.get(ai) : av[(int) ai];
                        long bRow = bOff + (long) q * n;
                        for (int j = 0; j < n; j++) {
                            acc[j] += x * (bRowMajor ? b.get(bRow + j) : bv[(int) (bRow + j)]);
                        }
                    }
                    System.arraycopy(acc, 0, y, (int) ((t * m + i) * n), n);
                }
                ElementwiseSupport.increment(idx, batch);
            }
            OpSupport.writeLogical(outputs[0], y);
        };
    }
}
