package io.coedge.partition;

import io.coedge.graph.Graph;
import io.coedge.graph.Node;
import io.coedge.ops.RowSplittable;

/**
 * Finds the {@link RowMapping} of a graph node from the operator's own row geometry
 * ({@link RowSplittable}), or says it cannot be split by rows.
 */
public final class RowMappings {
    private RowMappings() {
    }

    /**
     * The row mapping of {@code node}, or null when it cannot be row-split (Flatten, Gemm, Softmax,
     * global pooling, Reshape, Concat along another axis than channels, ...). Only the operator and
     * shapes matter here; whether its map inputs are split is decided by the {@link Geometry}.
     */
    public static RowMapping of(Graph graph, Node node) {
        if (!(node.op() instanceof RowSplittable rs)) {
            return null;
        }
        int[][] in = graph.inputShapes(node);
        int[][] out = graph.outputShapes(node);
        if (out.length == 0 || out[0] == null || out[0].length != 4 || out[0][0] != 1 || !rs.splitsRows(in, out)) {
            return null;
        }
        int outH = out[0][2];
        int[] heights = new int[in.length];
        for (int j = 0; j < in.length; j++) {
            heights[j] = in[j] != null && in[j].length == 4 ? in[j][2] : -1;
        }
        return new Splittable(rs, heights, outH, windowed(rs, heights.length > 0 ? heights[0] : -1, outH));
    }

    /** True unless every output row reads exactly the same input row. */
    private static boolean windowed(RowSplittable rs, int inH, int outH) {
        if (inH != outH) {
            return true;
        }
        for (int r = 0; r < outH; r++) {
            int[] a = rs.inputRows(r, r + 1, inH);
            if (a[0] != r || a[1] != r + 1) {
                return true;
            }
        }
        return false;
    }

    /** Adapts an operator's {@link RowSplittable} geometry; inputs of height 1 broadcast along H. */
    private record Splittable(RowSplittable op, int[] heights, int outH, boolean windowed) implements RowMapping {
        @Override
        public RowRange inputRows(int input, int r0, int r1) {
            int h = heights[input];
            if (h == 1 && outH != 1) {
                return new RowRange(0, 1);
            }
            int[] a = op.inputRows(r0, r1, h);
            return RowRange.of(a[0], a[1]);
        }

        @Override
        public String toString() {
            return "rows of " + op;
        }
    }
}
