package io.coedge.ops;

import io.coedge.graph.Attributes;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.Op;
import io.coedge.graph.RowKernel;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Tensor;
import java.util.Arrays;

/**
 * Concatenation along {@code axis} (negative counts from the end). Along the channel axis of rank-4
 * maps it is row-local (every input band covers the same rows as the output band); along any other
 * axis it runs on whole tensors only.
 */
public record Concat(int axis) implements Op, RowSplittable {

    /** The op of an ONNX Concat node; {@code axis} is required. */
    public static Concat fromAttributes(String nodeName, Attributes a) {
        if (!a.has("axis")) {
            throw OpSupport.error(nodeName, "Concat needs an 'axis' attribute");
        }
        return new Concat((int) a.getInt("axis", 1));
    }

    @Override
    public String type() {
        return "Concat";
    }

    @Override
    public int[][] inferShapes(ShapeContext ctx) {
        if (ctx.inputCount() == 0) {
            throw ctx.error("Concat needs at least one input");
        }
        int[] first = ctx.inputShape(0);
        int ax = OpSupport.axis(ctx, axis, first.length);
        int[] out = first.clone();
        out[ax] = 0;
        for (int i = 0; i < ctx.inputCount(); i++) {
            int[] s = ctx.inputShape(i);
            if (s.length != first.length) {
                throw ctx.error("input " + i + " has rank " + s.length + ", input 0 has rank " + first.length);
            }
            for (int d = 0; d < s.length; d++) {
                if (d != ax && s[d] != first[d]) {
                    throw ctx.error("input " + i + " shape " + Arrays.toString(s) + " differs from input 0 shape "
                            + Arrays.toString(first) + " outside the concat axis " + ax);
                }
            }
            out[ax] += s[ax];
        }
        return new int[][] {out};
    }

    @Override
    public long flops(int[][] in, int[][] out) {
        return 0;
    }

    @Override
    public int[] inputRows(int r0, int r1, int inputHeight) {
        return RowSplittable.sameRows(r0, r1, inputHeight);
    }

    @Override
    public boolean splitsRows(int[][] inputShapes, int[][] outputShapes) {
        int[] o = outputShapes[0];
        return o.length == 4 && o[0] == 1 && (axis == 1 || axis == -3);
    }

    @Override
    public Kernel referenceKernel(KernelContext ctx) {
        int rank = ctx.inputShape(0).length;
        int ax = OpSupport.axis(ctx, axis, rank);
        if (rank == 4 && ax == 1) {
            return (RowKernel) (inputs, inputRow0, out, outRow0, r0, r1) -> {
                for (int n = 0; n < out.dim(0); n++) {
                    int cOff = 0;
                    for (int i = 0; i < inputs.length; i++) {
                        Tensor x = inputs[i];
                        for (int y = r0; y < r1; y++) {
                            for (int w = 0; w < out.dim(3); w++) {
                                for (int c = 0; c < x.dim(1); c++) {
                                    out.set(out.offset4(n, cOff + c, y - outRow0, w), x.at4(n, c, y - inputRow0[i], w));
                                }
                            }
                        }
                        cOff += x.dim(1);
                    }
                }
            };
        }
        return (inputs, outputs) -> {
            Tensor out = outputs[0];
            int off = 0;
            for (Tensor x : inputs) {
                int[] shape = x.shape();
                int[] idx = new int[rank];
                int[] oIdx = new int[rank];
                for (long e = 0, n = x.size(); e < n; e++) {
                    System.arraycopy(idx, 0, oIdx, 0, rank);
                    oIdx[ax] += off;
                    out.set(out.offset(oIdx), x.get(x.offset(idx)));
                    ElementwiseSupport.increment(idx, shape);
                }
                off += shape[ax];
            }
        };
    }
}
