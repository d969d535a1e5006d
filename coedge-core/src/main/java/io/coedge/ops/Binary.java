package io.coedge.ops;

import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.Op;
import io.coedge.graph.RowKernel;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Layout;
import io.coedge.tensor.Shapes;
import io.coedge.tensor.Tensor;
import java.util.Arrays;

/**
 * Element-wise Add, Sub, Mul or Div with numpy (multidirectional) broadcasting.
 *
 * <p>With a rank-4 batch-1 output it is row-local: each operand either is a map with the output's
 * rows (a band, given with its row offset) or broadcasts along H (a {@code [1, C, 1, 1]} constant, a
 * squeeze-excitation scale, a scalar), which is passed whole.
 *
 * @param type {@code "Add"}, {@code "Sub"}, {@code "Mul"} or {@code "Div"}
 */
public record Binary(String type) implements Op, RowSplittable {

    public Binary {
        if (!type.equals("Add") && !type.equals("Sub") && !type.equals("Mul") && !type.equals("Div")) {
            throw new IllegalArgumentException("not a binary element-wise type: " + type);
        }
    }

    /** Element-wise Add. */
    public static Binary add() {
        return new Binary("Add");
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        if (ctx.inputCount() != 2) {
            throw ctx.error(type + " needs 2 inputs, got " + ctx.inputCount());
        }
        int[] a = ctx.inputShape(0), b = ctx.inputShape(1);
        try {
            return new int[][] {Shapes.broadcast(a, b)};
        } catch (IllegalArgumentException e) {
            throw ctx.error("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
        }
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        return OpSupport.size(out[0]);
    }

    @Override
    public int[] inputRows(int r0, int r1, int inputHeight) {
        return RowSplittable.sameRows(r0, r1, inputHeight);
    }

    @Override
    public boolean splitsRows(int[][] inputShapes, int[][] outputShapes) {
        int[] o = outputShapes[0];
        if (o.length != 4 || o[0] != 1) {
            return false;
        }
        for (int[] s : inputShapes) {
            int[] p = OpSupport.padLeft(s, 4);
            if (p[2] != 1 && p[2] != o[2]) {
                return false;
            }
        }
        return true;
    }

    float apply(float a, float b) {
        return switch (type) {
            case "Add" -> a + b;
            case "Sub" -> a - b;
            case "Mul" -> a * b;
            default -> a / b;
        };
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        int[] out = ctx.outputShape(0);
        int[] as = ctx.inputShape(0), bs = ctx.inputShape(1);
        if (out.length != 4) {
            return (inputs, outputs) -> whole(inputs[0], as, inputs[1], bs, outputs[0], out);
        }
        int[] ap = OpSupport.padLeft(as, 4), bp = OpSupport.padLeft(bs, 4);
        boolean same = Arrays.equals(ap, out) && Arrays.equals(bp, out);
        return new RowKernel() {
            @Override
            public void runRows(Tensor[] inputs, int[] inputRow0, Tensor o, int outRow0, int r0, int r1) {
                Tensor a = inputs[0], b = inputs[1];
                if (same && o.dim(0) == 1 && a.layout() == Layout.NHWC && b.layout() == Layout.NHWC
                        && o.layout() == Layout.NHWC) {
                    // Residual add of two bands: rows [r0, r1) are contiguous in all three.
                    long rowElems = (long) o.dim(1) * o.dim(3);
                    long aStart = (r0 - inputRow0[0]) * rowElems, bStart = (r0 - inputRow0[1]) * rowElems;
                    long oStart = (r0 - outRow0) * rowElems;
                    for (long i = 0, n = (r1 - r0) * rowElems; i < n; i++) {
                        o.set(oStart + i, apply(a.get(aStart + i), b.get(bStart + i)));
                    }
                    return;
                }
                for (int n = 0; n < o.dim(0); n++) {
                    for (int y = r0; y < r1; y++) {
                        for (int w = 0; w < o.dim(3); w++) {
                            for (int c = 0; c < o.dim(1); c++) {
                                float av = at(a, ap, n, c, y - inputRow0[0], w);
                                float bv = at(b, bp, n, c, y - inputRow0[1], w);
                                o.set(o.offset4(n, c, y - outRow0, w), apply(av, bv));
                            }
                        }
                    }
                }
            }
        };
    }

    /** Element of an operand whose full shape padded to rank 4 is {@code p}, with broadcasting. */
    private static float at(Tensor t, int[] p, int n, int c, int y, int w) {
        n = p[0] == 1 ? 0 : n;
        c = p[1] == 1 ? 0 : c;
        y = p[2] == 1 ? 0 : y;
        w = p[3] == 1 ? 0 : w;
        if (t.rank() == 4) {
            return t.get(t.offset4(n, c, y, w));
        }
        return t.get(((((long) n * p[1] + c) * p[2] + y) * p[3]) + w);
    }

    private void whole(Tensor a, int[] as, Tensor b, int[] bs, Tensor o, int[] out) {
        int r = out.length;
        int[] ap = OpSupport.padLeft(as, r), bp = OpSupport.padLeft(bs, r);
        int[] idx = new int[r];
        int[] ai = new int[as.length], bi = new int[bs.length];
        for (long e = 0, size = OpSupport.size(out); e < size; e++) {
            for (int d = 0; d < as.length; d++) {
                int od = d + r - as.length;
                ai[d] = ap[od] == 1 ? 0 : idx[od];
            }
            for (int d = 0; d < bs.length; d++) {
                int od = d + r - bs.length;
                bi[d] = bp[od] == 1 ? 0 : idx[od];
            }
            o.set(o.offset(idx), apply(a.get(a.offset(ai)), b.get(b.offset(bi))));
            ElementwiseSupport.increment(idx, out);
        }
    }
}
