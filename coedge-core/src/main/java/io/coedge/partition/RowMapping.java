package io.coedge.partition;

/**
 * How the output rows of a row-splittable operator depend on the rows of its map inputs.
 * {@link RowMappings#of} finds the mapping of a graph node.
 */
public interface RowMapping {
    /**
     * Rows of input {@code input} (full-map coordinates, not yet clipped to the input height) needed to
     * compute output rows {@code [r0, r1)}, {@code r0 < r1}. Rows outside the input map are padding.
     */
    RowRange inputRows(int input, int r0, int r1);

    /**
     * True when an output row reads a window of input rows (Conv, pooling, ConvTranspose, Resize): such
     * a layer may need a halo, and counts as a layer for {@code fused:K}. False for row-aligned ops
     * (activations, element-wise, Concat, LRN).
     */
    boolean windowed();

    /** Rows {@code [r0, r1)} of every input: element-wise and channel-wise operators. */
    static RowMapping aligned() {
        return Aligned.INSTANCE;
    }

    /**
     * A sliding window along the rows: output row {@code r} reads input rows
     * {@code r*stride - padTop + j*dilation} for {@code j} in {@code [0, kernel)}: the input band for
     * {@code [r0, r1)} is {@code [r0*stride - padTop, (r1-1)*stride - padTop + (kernel-1)*dilation + 1)}.
     * Pooling with {@code ceil_mode} and asymmetric pads obey the same rule; only their output height
     * differs. Applies to input 0; other inputs (weights, bias) are passed whole.
     */
    static RowMapping window(int kernel, int stride, int dilation, int padTop) {
        return new Window(kernel, stride, dilation, padTop);
    }

    /**
     * A transposed convolution: input row {@code i} contributes to output rows
     * {@code i*stride - padTop + j*dilation}, so output rows {@code [r0, r1)} need input rows
     * {@code [ceil((r0 + padTop - (kernel-1)*dilation) / stride), floor((r1 - 1 + padTop) / stride) + 1)}.
     */
    static RowMapping transposed(int kernel, int stride, int dilation, int padTop) {
        return new Transposed(kernel, stride, dilation, padTop);
    }

    /** Row-aligned mapping. */
    enum Aligned implements RowMapping {
        INSTANCE;

        @Override
        public RowRange inputRows(int input, int r0, int r1) {
            return new RowRange(r0, r1);
        }

        @Override
        public boolean windowed() {
            return false;
        }
    }

    /** Sliding window (Conv, MaxPool, AveragePool). */
    record Window(int kernel, int stride, int dilation, int padTop) implements RowMapping {
        public Window {
            if (kernel < 1 || stride < 1 || dilation < 1) {
                throw new IllegalArgumentException("window needs kernel, stride, dilation >= 1");
            }
        }

        @Override
        public RowRange inputRows(int input, int r0, int r1) {
            return new RowRange(r0 * stride - padTop, (r1 - 1) * stride - padTop + (kernel - 1) * dilation + 1);
        }

        @Override
        public boolean windowed() {
            return true;
        }
    }

    /** Transposed convolution. */
    record Transposed(int kernel, int stride, int dilation, int padTop) implements RowMapping {
        public Transposed {
            if (kernel < 1 || stride < 1 || dilation < 1) {
                throw new IllegalArgumentException("transposed window needs kernel, stride, dilation >= 1");
            }
        }

        @Override
        public RowRange inputRows(int input, int r0, int r1) {
            int lo = Math.floorDiv(r0 + padTop - (kernel - 1) * dilation + stride - 1, stride);
            int hi = Math.floorDiv(r1 - 1 + padTop, stride) + 1;
            return RowRange.of(lo, hi);
        }

        @Override
        public boolean windowed() {
            return true;
        }
    }
}
