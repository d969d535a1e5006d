package io.coedge.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * An off-heap float32 tensor.
 *
 * <p>{@link #shape()} is the logical ONNX shape; {@link #layout()} says how elements sit in memory.
 * A rank-4 feature map in {@link Layout#NHWC} with batch 1 has cheap row-band views
 * ({@link #rows(int, int)}): a band of rows {@code [r0, r1)} is one contiguous range of bytes.
 */
public final class Tensor {
    public static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final int[] shape;
    private final Layout layout;
    private final MemorySegment data;

    private Tensor(MemorySegment data, Layout layout, int[] shape) {
        if (layout == Layout.NHWC && shape.length != 4) {
            throw new IllegalArgumentException("NHWC layout needs rank 4, got shape " + Arrays.toString(shape));
        }
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
        long need = Shapes.size(shape) * Float.BYTES;
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes is too small for shape "
                    + Arrays.toString(shape) + " (" + need + " bytes)");
        }
        this.shape = shape.clone();
        this.layout = layout;
        this.data = data.byteSize() == need ? data : data.asSlice(0, need);
    }

    /** Allocates a zero-filled tensor in {@code arena}. */
    public static Tensor allocate(Arena arena, Layout layout, int... shape) {
        long bytes = Shapes.size(shape) * Float.BYTES;
        return new Tensor(arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes), layout, shape);
    }

    /** Allocates a tensor in the layout CoEdge uses for a value of this rank (NHWC for rank 4). */
    public static Tensor allocate(Arena arena, int... shape) {
        return allocate(arena, defaultLayout(shape), shape);
    }

    /** The layout feature maps use: NHWC for rank 4, row-major otherwise. */
    public static Layout defaultLayout(int[] shape) {
        return shape.length == 4 ? Layout.NHWC : Layout.ROW_MAJOR;
    }

    /** Wraps an existing segment (no copy). */
    public static Tensor wrap(MemorySegment data, Layout layout, int... shape) {
        return new Tensor(data, layout, shape);
    }

    /** Copies {@code values}, given in logical (row-major, NCHW for rank 4) order, into a new tensor of {@code layout}. */
    public static Tensor fromLogical(Arena arena, Layout layout, float[] values, int... shape) {
        if (values.length != Shapes.size(shape)) {
            throw new IllegalArgumentException(values.length + " values do not fit shape " + Arrays.toString(shape));
        }
        Tensor t = allocate(arena, layout, shape);
        if (layout == Layout.ROW_MAJOR) {
            MemorySegment.copy(values, 0, t.data, FLOAT, 0, values.length);
        } else {
            int n = shape[0], c = shape[1], h = shape[2], w = shape[3];
            int i = 0;
            for (int b = 0; b < n; b++) {
                for (int ch = 0; ch < c; ch++) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            t.data.setAtIndex(FLOAT, (((long) b * h + y) * w + x) * c + ch, values[i++]);
                        }
                    }
                }
            }
        }
        return t;
    }

    /** Copies {@code values} in logical order into a tensor of the default layout for the rank. */
    public static Tensor fromLogical(Arena arena, float[] values, int... shape) {
        return fromLogical(arena, defaultLayout(shape), values, shape);
    }

    /**
     * Standard normal values from {@code new Random(seed)}, in logical order, in the default layout: a
     * reproducible input for probes, benchmarks and demos.
     */
    public static Tensor gaussian(Arena arena, long seed, int... shape) {
        java.util.Random r = new java.util.Random(seed);
        float[] v = new float[Math.toIntExact(Shapes.size(shape))];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return fromLogical(arena, v, shape);
    }

    /** A scalar or vector helper. */
    public static Tensor vector(Arena arena, float... values) {
        return fromLogical(arena, Layout.ROW_MAJOR, values, values.length);
    }

    public int[] shape() {
        return shape.clone();
    }

    public int dim(int i) {
        return shape[i];
    }

    /** Whether this tensor's logical shape is {@code dims}; unlike comparing {@link #shape()}, copies nothing. */
    public boolean hasShape(int... dims) {
        return Arrays.equals(shape, dims);
    }

    public int rank() {
        return shape.length;
    }

    public Layout layout() {
        return layout;
    }

    public MemorySegment segment() {
        return data;
    }

    public long size() {
        return Shapes.size(shape);
    }

    public long byteSize() {
        return size() * Float.BYTES;
    }

    /** Element at a physical index (position in memory order). */
    public float get(long physicalIndex) {
        return data.getAtIndex(FLOAT, physicalIndex);
    }

    public void set(long physicalIndex, float v) {
        data.setAtIndex(FLOAT, physicalIndex, v);
    }

    /** Physical index of a logical index. */
    public long offset(int... idx) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException("index rank " + idx.length + " != tensor rank " + shape.length);
        }
        if (layout == Layout.NHWC) {
            return offset4(idx[0], idx[1], idx[2], idx[3]);
        }
        long off = 0;
        for (int i = 0; i < idx.length; i++) {
            off = off * shape[i] + idx[i];
        }
        return off;
    }

    /** Physical index of logical {@code [n, c, h, w]} in a rank-4 tensor. */
    public long offset4(int n, int c, int h, int w) {
        if (layout == Layout.NHWC) {
            return (((long) n * shape[2] + h) * shape[3] + w) * shape[1] + c;
        }
        return (((long) n * shape[1] + c) * shape[2] + h) * shape[3] + w;
    }

    /** Element at a logical index, whatever the layout. */
    public float at(int... idx) {
        return get(offset(idx));
    }

    /** Element at logical {@code [n, c, h, w]}. */
    public float at4(int n, int c, int h, int w) {
        return get(offset4(n, c, h, w));
    }

    /**
     * A view of rows {@code [r0, r1)} of an NHWC feature map with batch 1. No copy: the view shares
     * memory with this tensor.
     */
    public Tensor rows(int r0, int r1) {
        if (layout != Layout.NHWC || shape[0] != 1) {
            throw new IllegalStateException("row views need an NHWC tensor with batch 1, got " + describe());
        }
        if (r0 < 0 || r1 < r0 || r1 > shape[2]) {
            throw new IndexOutOfBoundsException("rows [" + r0 + ", " + r1 + ") outside [0, " + shape[2] + ")");
        }
        long rowBytes = (long) shape[3] * shape[1] * Float.BYTES;
        return new Tensor(data.asSlice(r0 * rowBytes, (r1 - r0) * rowBytes), Layout.NHWC,
                new int[] {1, shape[1], r1 - r0, shape[3]});
    }

    /** Bytes in one row of a batch-1 NHWC map: {@code W * C * 4}. */
    public long rowBytes() {
        if (shape.length != 4) {
            throw new IllegalStateException("rowBytes needs a rank-4 tensor");
        }
        return (long) shape[3] * shape[1] * Float.BYTES;
    }

    /** The same values with another shape of equal size; shares memory (row-major only). */
    public Tensor reshape(int... newShape) {
        if (layout != Layout.ROW_MAJOR) {
            throw new IllegalStateException("reshape of an NHWC tensor needs a layout change first");
        }
        if (Shapes.size(newShape) != size()) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        }
        return new Tensor(data, Layout.ROW_MAJOR, newShape);
    }

    /** A copy of this tensor in {@code target} layout (a plain copy if already in it). */
    public Tensor toLayout(Arena arena, Layout target) {
        Tensor out = allocate(arena, target, shape);
        if (target == layout) {
            MemorySegment.copy(data, 0, out.data, 0, byteSize());
            return out;
        }
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        out.set(out.offset4(b, ch, y, x), at4(b, ch, y, x));
                    }
                }
            }
        }
        return out;
    }

    /** All values in logical order (NCHW for rank 4). */
    public float[] toLogicalArray() {
        if (size() > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor too large for an array: " + describe());
        }
        float[] out = new float[(int) size()];
        if (layout == Layout.ROW_MAJOR) {
            MemorySegment.copy(data, FLOAT, 0, out, 0, out.length);
            return out;
        }
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3];
        int i = 0;
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        out[i++] = at4(b, ch, y, x);
                    }
                }
            }
        }
        return out;
    }

    /** Copies all elements of {@code src} (same shape and layout) into this tensor. */
    public void copyFrom(Tensor src) {
        if (!Arrays.equals(shape, src.shape) || layout != src.layout) {
            throw new IllegalArgumentException("copy from " + src.describe() + " into " + describe());
        }
        MemorySegment.copy(src.data, 0, data, 0, byteSize());
    }

    public void fill(float v) {
        for (long i = 0, n = size(); i < n; i++) {
            set(i, v);
        }
    }

    public String describe() {
        return layout + Arrays.toString(shape);
    }

    @Override
    public String toString() {
        return "Tensor" + describe();
    }
}
