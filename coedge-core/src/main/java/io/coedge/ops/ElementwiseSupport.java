package io.coedge.ops;

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
}
