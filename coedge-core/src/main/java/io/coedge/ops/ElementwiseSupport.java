package io.coedge.ops;

import io.coedge.graph.RowKernel;
import io.coedge.tensor.Tensor;

/** Logical-index loops for reference kernels that must cope with mixed layouts. */
final class ElementwiseSupport {
    private ElementwiseSupport() {
    }

    interface FloatOp {
        float apply(float x);
    }

    /** out[i] = f(x[i]) over every logical index; x and out have the same shape. */
    static void mapLogical(Tensor x, Tensor out, FloatOp f) {
        int[] shape = out.shape();
        int[] idx = new int[shape.length];
        long n = out.size();
        for (long i = 0; i < n; i++) {
            out.set(out.offset(idx), f.apply(x.get(x.offset(idx))));
            increment(idx, shape);
        }
    }

    /** Advances a logical index odometer-style; returns false after the last index. */
    static boolean increment(int[] idx, int[] shape) {
        for (int d = shape.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) {
                return true;
            }
            idx[d] = 0;
        }
        return false;
    }

    /**
     * A kernel applying {@code f} to every element: whole tensors of any rank through {@link
     * RowKernel#run}, and row bands of rank-4 maps through {@link RowKernel#runRows}.
     */
    static RowKernel rowLocal(FloatOp f) {
        return new RowKernel() {
            @Override
            public void run(Tensor[] inputs, Tensor[] outputs) {
                if (outputs[0].rank() == 4 && outputs[0].dim(0) == 1) {
                    runRows(inputs, new int[inputs.length], outputs[0], 0, 0, outputs[0].dim(2));
                } else {
                    mapLogical(inputs[0], outputs[0], f);
                }
            }

            @Override
            public void runRows(Tensor[] inputs, int[] inputRow0, Tensor out, int outRow0, int r0, int r1) {
                Tensor x = inputs[0];
                if (x.layout() == out.layout() && x.layout() == io.coedge.tensor.Layout.NHWC && out.dim(0) == 1) {
                    // Rows [r0, r1) are one contiguous range in both bands.
                    long rowElems = (long) out.dim(1) * out.dim(3);
                    long xStart = (r0 - inputRow0[0]) * rowElems;
                    long oStart = (r0 - outRow0) * rowElems;
                    for (long i = 0, n = (r1 - r0) * rowElems; i < n; i++) {
                        out.set(oStart + i, f.apply(x.get(xStart + i)));
                    }
                    return;
                }
                for (int n = 0; n < out.dim(0); n++) {
                    for (int c = 0; c < out.dim(1); c++) {
                        for (int y = r0; y < r1; y++) {
                            for (int w = 0; w < out.dim(3); w++) {
                                out.set(out.offset4(n, c, y - outRow0, w), f.apply(x.at4(n, c, y - inputRow0[0], w)));
                            }
                        }
                    }
                }
            }
        };
    }
}
