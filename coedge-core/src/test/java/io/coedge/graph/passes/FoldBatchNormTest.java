package io.coedge.graph.passes;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.Node;
import io.coedge.ops.BatchNorm;
import io.coedge.ops.Conv;
import io.coedge.ops.Unary;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FoldBatchNormTest {

    private static float[] random(Random r, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + r.nextFloat() * (hi - lo);
        }
        return v;
    }

    private static String bn(GraphBuilder b, Random r, String name, String x, int c) {
        return b.node(name, new BatchNorm(1e-3f), x, b.constant(name + ".s", random(r, c, 0.5f, 2f), c),
                b.constant(name + ".b", random(r, c, -1, 1), c), b.constant(name + ".m", random(r, c, -1, 1), c),
                b.constant(name + ".v", random(r, c, 0.2f, 3f), c));
    }

    private static float[] run(Graph g, float[] x, int... shape) {
        try (Arena arena = Arena.ofConfined()) {
            return Executor.reference(g).run(arena, Tensor.fromLogical(arena, x, shape)).toLogicalArray();
        }
    }

    @Test
    void foldingIntoConvsWithAndWithoutBiasPreservesOutputs() {
        Random r = new Random(2);
        GraphBuilder b = new GraphBuilder("t");
        String x = b.input("x", 1, 3, 8, 8);
        String y = b.node("conv1", Conv.of(3, 1, 1, 1), x, b.constant("w1", random(r, 4 * 3 * 9, -1, 1), 4, 3, 3, 3));
        y = bn(b, r, "bn1", y, 4);
        y = b.node("relu", Unary.relu(), y);
        y = b.node("conv2", Conv.of(3, 2, 1, 2), y, b.constant("w2", random(r, 6 * 2 * 9, -1, 1), 6, 2, 3, 3),
                b.constant("b2", random(r, 6, -1, 1), 6));
        y = bn(b, r, "bn2", y, 6);
        Graph g = b.output(y).build();
        Graph folded = FoldBatchNorm.apply(g);

        assertThat(folded.nodes()).extracting(n -> n.op().type()).containsExactly("Conv", "Relu", "Conv");
        assertThat(folded.nodes()).extracting(Node::name).containsExactly("conv1", "relu", "conv2");
        assertThat(folded.outputs()).containsExactly("bn2");
        // BN vectors (4 per BN) and the old conv weights are gone; each conv has a weight and a bias.
        assertThat(folded.constants()).hasSize(4);
        float[] in = random(r, 3 * 64, -1, 1);
        float[] expect = run(g, in, 1, 3, 8, 8);
        float[] got = run(folded, in, 1, 3, 8, 8);
        for (int i = 0; i < expect.length; i++) {
            assertThat(got[i]).as("element %d", i).isCloseTo(expect[i], org.assertj.core.api.Assertions.within(1e-4f));
        }
    }

    @Test
    void convOutputReadElsewhereIsNotFolded() {
        Random r = new Random(3);
        GraphBuilder b = new GraphBuilder("t");
        String x = b.input("x", 1, 2, 4, 4);
        String c = b.node("conv", Conv.of(1, 1, 0, 1), x, b.constant("w", random(r, 4, -1, 1), 2, 2, 1, 1));
        String n = bn(b, r, "bn", c, 2);
        String sum = b.node("add", io.coedge.ops.Binary.add(), n, c);
        Graph g = b.output(sum).build();
        assertThat(FoldBatchNorm.apply(g)).isSameAs(g);
    }

    @Test
    void batchNormAfterANonConvIsKept() {
        Random r = new Random(4);
        GraphBuilder b = new GraphBuilder("t");
        String x = b.input("x", 1, 2, 4, 4);
        String y = bn(b, r, "bn", b.node("relu", Unary.relu(), x), 2);
        Graph g = b.output(y).build();
        assertThat(FoldBatchNorm.apply(g)).isSameAs(g);
    }
}
