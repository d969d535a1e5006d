package io.coedge.ops;

/**
 * Row geometry of an operator whose output rows can be computed band by band (see
 * {@link io.coedge.graph.RowKernel}). A partitioner asks it which input rows a device needs for its
 * output band; what falls outside its own input band is halo.
 *
 * <p>All ranges are half-open {@code [start, end)} over the rows (dimension 2, H) of batch-1 rank-4
 * feature maps in full-map coordinates. The answer is clipped to {@code [0, inputHeight)}: rows a
 * window needs beyond the map are padding, which the kernel supplies itself. For ops whose output row
 * {@code r} reads only input row {@code r} (element-wise ops, BatchNormalization, LRN, channel Concat)
 * the answer is {@code [r0, r1)}. The answer holds for every map input of the node alike (e.g. both
 * operands of a residual Add, every input of a channel Concat); broadcast inputs whose H is 1, and
 * constants, are passed whole.
 *
 * <p>Examples: a 3x3 conv with stride 1 and pad 1 over H=224 answers {@code [r0-1, r1+1)} clipped to
 * {@code [0, 224)}; a 2x2 max pool with stride 2 answers {@code [2*r0, 2*r1)}; a nearest 2x upsample
 * answers {@code [r0/2, (r1-1)/2 + 1)}.
 */
public interface RowSplittable {

    /**
     * Input rows needed to compute output rows {@code [r0, r1)}.
     *
     * @param r0          first output row (inclusive)
     * @param r1          end output row (exclusive); {@code r1 <= r0} gives an empty range
     * @param inputHeight H of the full input map (needed for auto_pad and resize geometry)
     * @return {@code {a, b}} with {@code 0 <= a <= b <= inputHeight}
     */
    int[] inputRows(int r0, int r1, int inputHeight);

    /**
     * Whether, for these shapes, the reference kernel is a {@link io.coedge.graph.RowKernel} that can
     * be run on row bands: the output is a batch-1 rank-4 map and every non-constant input either is a
     * map with the same row structure ({@link #inputRows}) or broadcasts along H. Ops answer false for
     * shapes they only handle whole (e.g. Concat along an axis other than channels).
     */
    default boolean splitsRows(int[][] inputShapes, int[][] outputShapes) {
        int[] o = outputShapes[0];
        return o != null && o.length == 4 && o[0] == 1;
    }

    /** Identity row geometry {@code [r0, r1)} clipped to the map, for row-local ops. */
    static int[] sameRows(int r0, int r1, int inputHeight) {
        if (r1 <= r0) {
            return new int[] {0, 0};
        }
        int a = Math.max(0, Math.min(r0, inputHeight));
        int b = Math.max(a, Math.min(r1, inputHeight));
        return new int[] {a, b};
    }
}
