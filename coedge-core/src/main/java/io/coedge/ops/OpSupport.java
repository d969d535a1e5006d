package io.coedge.ops;

import io.coedge.graph.Attributes;

import io.coedge.graph.ModelException;
import io.coedge.graph.ShapeContext;
import io.coedge.tensor.Layout;
import io.coedge.tensor.Shapes;
import io.coedge.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** Checks and helpers shared by operator shape inference and reference kernels. */
final class OpSupport {
    private OpSupport() {
    }

    static int[] requireRank(ShapeContext ctx, int input, int rank) {
        int[] s = ctx.inputShape(input);
        if (s.length != rank) {
            throw ctx.error("input " + input + " must have rank " + rank + ", got shape " + Arrays.toString(s));
        }
        return s;
    }

    static long[] ints(long[] v, int n, long dflt) {
        if (v != null) {
            return v;
        }
        long[] out = new long[n];
        Arrays.fill(out, dflt);
        return out;
    }

    /**
     * Largest kernel, stride, dilation, pad or output padding accepted: far beyond any real network,
     * and small enough that window arithmetic cannot overflow.
     */
    static final int MAX_WINDOW = 1 << 16;

    /**
     * A window attribute ({@code kernel_shape}, {@code strides}, {@code dilations}, {@code pads}) as
     * {@code n} ints in {@code [min, MAX_WINDOW]}. A plain cast would silently turn 2^40 into 0.
     *
     * @throws ModelException naming the attribute and the value (callers add the node)
     */
    static int[] windowInts(String attr, long[] v, int n, long min) {
        if (v.length != n) {
            throw new ModelException(attr + " must have " + n + " values for a 2-D window, got " + v.length);
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            if (v[i] < min || v[i] > MAX_WINDOW) {
                throw new ModelException(attr + " value " + v[i] + " is out of range (" + min + " to " + MAX_WINDOW + ")");
            }
            out[i] = (int) v[i];
        }
        return out;
    }

    /** The {@code group} attribute, at least 1. */
    static int group(Attributes a) {
        long g = a.getInt("group", 1);
        if (g < 1 || g > Integer.MAX_VALUE) {
            throw new ModelException("group " + g + " must be a positive int");
        }
        return (int) g;
    }

    /** Normalises a possibly negative axis into {@code [0, rank)}. */
    static int axis(ShapeContext ctx, long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw ctx.error("axis " + axis + " is out of range for rank " + rank);
        }
        return (int) a;
    }

    static long size(int[] shape) {
        return Shapes.size(shape);
    }

    /** Product of {@code shape[from, to)}. */
    static long product(int[] shape, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= shape[i];
        }
        return p;
    }

    /** The shape left-padded with 1s to {@code rank}. */
    static int[] padLeft(int[] shape, int rank) {
        int[] out = new int[rank];
        Arrays.fill(out, 1);
        System.arraycopy(shape, 0, out, rank - shape.length, shape.length);
        return out;
    }

    /** Integer values of a constant (stored as float32), e.g. a Reshape shape or Resize sizes. */
    static long[] intValues(Tensor t) {
        float[] v = t.toLogicalArray();
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (long) v[i];
        }
        return out;
    }

    static ModelException error(String nodeName, String message) {
        return new ModelException("node '" + nodeName + "': " + message);
    }

    /**
     * Values of {@code t} in logical (row-major) order: the tensor itself when it is row-major,
     * else a copy.
     */
    static float[] logical(Tensor t) {
        return t.toLogicalArray();
    }

    /**
     * Copies {@code src} into {@code dst} by logical flat index: element {@code i} of src in logical
     * order becomes element {@code i} of dst in logical order. Shapes may differ (same size); this is
     * the whole of Reshape and Flatten.
     */
    static void copyLogical(Tensor src, Tensor dst) {
        if (src.size() != dst.size()) {
            throw new IllegalArgumentException("sizes differ: " + src.describe() + " vs " + dst.describe());
        }
        if (src.layout() == Layout.ROW_MAJOR && dst.layout() == Layout.ROW_MAJOR) {
            MemorySegment.copy(src.segment(), 0, dst.segment(), 0, src.byteSize());
            return;
        }
        writeLogical(dst, src.toLogicalArray());
    }

    /** Writes {@code values} (logical order) into {@code dst}, whatever its layout. */
    static void writeLogical(Tensor dst, float[] values) {
        if (dst.layout() == Layout.ROW_MAJOR) {
            MemorySegment.copy(values, 0, dst.segment(), Tensor.FLOAT, 0, values.length);
            return;
        }
        int n = dst.dim(0), c = dst.dim(1), h = dst.dim(2), w = dst.dim(3);
        int i = 0;
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        dst.set(dst.offset4(b, ch, y, x), values[i++]);
                    }
                }
            }
        }
    }

    /** Checks that the band holds input rows {@code [a, b)} (full-map coordinates). */
    static void checkBand(Tensor band, int row0, int[] need, int r0, int r1) {
        if (need[0] < need[1] && (need[0] < row0 || need[1] > row0 + band.dim(2))) {
            throw new IllegalStateException("output rows [" + r0 + ", " + r1 + ") need input rows [" + need[0] + ", "
                    + need[1] + "), the band holds [" + row0 + ", " + (row0 + band.dim(2)) + ")");
        }
    }
}
