package io.coedge.ops;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.Op;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Runs one op on given inputs through the reference executor; values in and out in logical order. */
final class OpRunner {
    private final GraphBuilder b = new GraphBuilder("test");
    private final List<String> ins = new ArrayList<>();
    private final Map<String, float[]> feeds = new LinkedHashMap<>();
    private final Map<String, int[]> feedShapes = new LinkedHashMap<>();

    /** A graph input (a feature map or any runtime value). */
    OpRunner input(float[] values, int... shape) {
        String name = "in" + ins.size();
        b.input(name, shape);
        feeds.put(name, values);
        feedShapes.put(name, shape);
        ins.add(name);
        return this;
    }

    /** A constant input (weights, shapes, scales). */
    OpRunner constant(float[] values, int... shape) {
        ins.add(b.constant("c" + ins.size(), values, shape));
        return this;
    }

    /** An omitted optional input. */
    OpRunner absent() {
        ins.add("");
        return this;
    }

    Graph graph(Op op) {
        String y = b.node("node", op, ins.toArray(String[]::new));
        return b.output(y).build();
    }

    int[] shape(Op op) {
        return graph(op).shape("node");
    }

    float[] run(Op op) {
        Graph g = graph(op);
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> in = new LinkedHashMap<>();
            feeds.forEach((k, v) -> in.put(k, Tensor.fromLogical(arena, v, feedShapes.get(k))));
            return Executor.reference(g).run(arena, in).get("node").toLogicalArray();
        }
    }

    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }

    static float[] iota(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i + 1;
        }
        return v;
    }
}
