package io.coedge.partition;

import io.coedge.graph.Graph;
import io.coedge.graph.Node;
import io.coedge.ops.Conv;
import io.coedge.ops.Pads;
import io.coedge.ops.Unary;

/**
 * Finds the {@link RowMapping} of a graph node, or says it cannot be split by rows. Operators that
 * describe their own row dependence are asked first; the rest are known here by their record type.
 */
public final class RowMappings {
    private RowMappings() {
    }

    /**
     * The row mapping of {@code node}, or null when it cannot be row-split (Flatten, Gemm, Softmax,
     * global pooling, Reshape of a map, ...). Only the shape of the node matters here; whether its map
     * inputs are split is decided by the {@link Geometry}.
     */
    public static RowMapping of(Graph graph, Node node) {
        if (node.op() instanceof Conv c) {
            int[] x = graph.shape(node.input(0));
            Pads p = c.resolvePads(graph.kernelContext(node), x[2], x[3]);
            return RowMapping.window(c.kernelH(), c.strideH(), c.dilationH(), p.top());
        }
        if (node.op() instanceof Unary) {
            return RowMapping.aligned();
        }
        return null;
    }
}
