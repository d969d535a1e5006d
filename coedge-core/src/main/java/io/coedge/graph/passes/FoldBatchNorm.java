package io.coedge.graph.passes;

import io.coedge.graph.Graph;
import io.coedge.graph.Node;
import io.coedge.ops.BatchNorm;
import io.coedge.ops.Conv;
import io.coedge.tensor.Layout;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds an inference-mode BatchNormalization into the Conv that feeds it.
 *
 * <p>With {@code a = scale / sqrt(var + eps)} and {@code b = B - mean * a} per output channel,
 * {@code BN(conv(x, W) + bias) = conv(x, W * a) + (bias * a + b)}: the conv gets new weight and bias
 * constants and takes over the BN's output value, and the BN node disappears. A BN is folded only
 * when its input comes from a Conv with constant weight (and bias, if any), all BN parameters are
 * constants, and the conv's output is read by nothing else (not even as a graph output). Everything
 * else is left as it was. Constants nobody reads any more are dropped.
 */
public final class FoldBatchNorm {
    private FoldBatchNorm() {
    }

    /** A new graph with every foldable BatchNormalization folded; {@code g} is not changed. */
    public static Graph apply(Graph g) {
        return apply(g, Arena.ofAuto());
    }

    /** As {@link #apply(Graph)}, with new constants allocated in {@code arena}. */
    public static Graph apply(Graph g, Arena arena) {
        Map<String, Tensor> constants = new LinkedHashMap<>(g.constants());
        Map<Node, Node> replaced = new LinkedHashMap<>();
        Set<Node> removed = new HashSet<>();
        for (Node bn : g.nodes()) {
            if (!(bn.op() instanceof BatchNorm op) || bn.outputs().size() < 1 || !bn.hasInput(0)) {
                continue;
            }
            boolean extraOutputs = false;
            for (int i = 1; i < bn.outputs().size(); i++) {
                extraOutputs |= !bn.outputs().get(i).isEmpty();
            }
            Node conv = g.producer(bn.input(0));
            if (extraOutputs || conv == null || !(conv.op() instanceof Conv) || replaced.containsKey(conv)
                    || conv.outputs().size() != 1 || g.consumers(conv.output()).size() != 1
                    || g.outputs().contains(conv.output())) {
                continue;
            }
            if (!g.isConstant(conv.input(1)) || conv.hasInput(2) && !g.isConstant(conv.input(2))) {
                continue;
            }
            boolean paramsConstant = true;
            for (int i = 1; i <= 4; i++) {
                paramsConstant &= bn.hasInput(i) && g.isConstant(bn.input(i));
            }
            if (!paramsConstant) {
                continue;
            }
            float[][] ab = op.affine(g.constant(bn.input(1)), g.constant(bn.input(2)), g.constant(bn.input(3)),
                    g.constant(bn.input(4)));
            Tensor wt = g.constant(conv.input(1));
            int[] ws = wt.shape();
            float[] w = wt.toLogicalArray();
            int perFilter = w.length / ws[0];
            for (int m = 0; m < ws[0]; m++) {
                for (int i = 0; i < perFilter; i++) {
                    w[m * perFilter + i] *= ab[0][m];
                }
            }
            float[] bias = conv.hasInput(2) ? g.constant(conv.input(2)).toLogicalArray() : new float[ws[0]];
            for (int m = 0; m < ws[0]; m++) {
                bias[m] = bias[m] * ab[0][m] + ab[1][m];
            }
            String wName = unique(constants, conv.name() + ".weight_bn");
            constants.put(wName, Tensor.fromLogical(arena, Layout.ROW_MAJOR, w, ws));
            String bName = unique(constants, conv.name() + ".bias_bn");
            constants.put(bName, Tensor.fromLogical(arena, Layout.ROW_MAJOR, bias, ws[0]));
            replaced.put(conv, new Node(conv.name(), conv.op(), List.of(conv.input(0), wName, bName), List.of(bn.output())));
            removed.add(bn);
        }
        if (replaced.isEmpty()) {
            return g;
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!removed.contains(n)) {
                nodes.add(replaced.getOrDefault(n, n));
            }
        }
        Set<String> read = new HashSet<>();
        for (Node n : nodes) {
            read.addAll(n.inputs());
        }
        read.addAll(g.outputs());
        constants.keySet().retainAll(read);
        return Graph.of(g.name(), nodes, g.inputs(), g.outputs(), constants);
    }

    private static String unique(Map<String, Tensor> taken, String base) {
        String name = base;
        for (int i = 1; taken.containsKey(name); i++) {
            name = base + "_" + i;
        }
        return name;
    }
}
