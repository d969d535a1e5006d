package io.coedge.cli;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.ops.Conv;
import io.coedge.ops.Unary;
import java.util.Random;

/** Small graphs standing in for the zoo in CLI tests. */
final class TestModels {
    static final String CLASSES = "tiny-classes";
    static final String MAP = "tiny-map";

    private TestModels() {
    }

    static void register() {
        ModelSource.EXTRA.put(CLASSES, TestModels::classes);
        ModelSource.EXTRA.put(MAP, TestModels::map);
    }

    static void unregister() {
        ModelSource.EXTRA.remove(CLASSES);
        ModelSource.EXTRA.remove(MAP);
    }

    /** 1x3x16x16 -> conv 3x3 (8 channels) -> relu -> conv 16x16 (10 classes) -> 1x10x1x1. */
    static Graph classes() {
        GraphBuilder gb = new GraphBuilder("tiny-classes");
        String x = gb.input("input", 1, 3, 16, 16);
        String c1 = gb.node("conv1", Conv.of(3, 1, 1, 1), x, gb.constant("w1", random(8 * 3 * 9, 1), 8, 3, 3, 3),
                gb.constant("b1", random(8, 2), 8));
        String r = gb.node("relu1", Unary.relu(), c1);
        String c2 = gb.node("fc", Conv.of(16, 1, 0, 1), r, gb.constant("w2", random(10 * 8 * 256, 3), 10, 8, 16, 16));
        return gb.output(c2).build();
    }

    /** 1x3x16x16 -> conv 3x3 (4 channels) -> relu: a map output. */
    static Graph map() {
        GraphBuilder gb = new GraphBuilder("tiny-map");
        String x = gb.input("input", 1, 3, 16, 16);
        String c1 = gb.node("conv1", Conv.of(3, 1, 1, 1), x, gb.constant("w1", random(4 * 3 * 9, 4), 4, 3, 3, 3));
        return gb.output(gb.node("relu1", Unary.relu(), c1)).build();
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() - 0.5f;
        }
        return v;
    }
}
