package io.coedge.graph;

/**
 * Row offsets for running a {@link RowKernel} on whole maps: every input starts at row 0. Shared arrays, so that a
 * whole-map run allocates nothing per call; kernels only read their {@code inputRow0}.
 */
final class WholeMaps {
    private static final int[][] ZEROS = new int[9][];

    static {
        for (int n = 0; n < ZEROS.length; n++) {
            ZEROS[n] = new int[n];
        }
    }

    private WholeMaps() {
    }

    /** {@code n} zeros; shared for up to eight inputs (a concat of more gets a new array). */
    static int[] rowOffsets(int n) {
        return n < ZEROS.length ? ZEROS[n] : new int[n];
    }
}
