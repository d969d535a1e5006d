package io.coedge.transport.runtime;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.ops.Conv;
import io.coedge.ops.Unary;
import java.util.Random;

/** Small graphs registered under fixed names in test processes (coordinator and worker JVMs alike). */
public final class TestModels {
    public static final String TINY = "test-tiny-cnn";

    private TestModels() {
    }

    /** conv3x3(3->8) relu conv3x3 stride 2 (8->4) on a 1x3x20x16 input; weights from a fixed seed. */
    public static Graph tiny() {
        Random r = new Random(42);
        GraphBuilder b = new GraphBuilder(TINY);
        String x = b.input("input", 1, 3, 20, 16);
        String w1 = b.constant("w1", random(r, 8 * 3 * 9), 8, 3, 3, 3);
        String b1 = b.constant("b1", random(r, 8), 8);
        String c1 = b.node("conv1", Conv.of(3, 1, 1, 1), x, w1, b1);
        String a1 = b.node("relu1", Unary.relu(), c1);
        String w2 = b.constant("w2", random(r, 4 * 8 * 9), 4, 8, 3, 3);
        String c2 = b.node("conv2", Conv.of(3, 2, 1, 1), a1, w2);
        return b.output(c2).build();
    }

    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian() * 0.5f;
        }
        return v;
    }

    public static void registerAll() {
        Models.register(TINY, TestModels::tiny);
    }
}
