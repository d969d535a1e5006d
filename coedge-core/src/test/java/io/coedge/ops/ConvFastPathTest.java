package io.coedge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.Node;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The blocked reference conv adds in the same order as the plain loop, so both give identical bits. */
class ConvFastPathTest {

    @Property(tries = 150)
    void blockedLoopEqualsThePlainLoopBitForBit(@ForAll @IntRange(min = 1, max = 3) int groups,
                                                 @ForAll @IntRange(min = 1, max = 3) int cpg,
                                                 @ForAll @IntRange(min = 1, max = 5) int mpg,
                                                 @ForAll @IntRange(min = 1, max = 12) int h,
                                                 @ForAll @IntRange(min = 1, max = 13) int w,
                                                 @ForAll @IntRange(min = 1, max = 3) int k,
                                                 @ForAll @IntRange(min = 1, max = 3) int s,
                                                 @ForAll @IntRange(min = 1, max = 2) int d,
                                                 @ForAll @IntRange(min = 0, max = 2) int pad,
                                                 @ForAll boolean bias, @ForAll long seed) {
        int c = groups * cpg, m = groups * mpg;
        net.jqwik.api.Assume.that((h + 2 * pad - d * (k - 1) - 1) >= 0 && (w + pad - d * (k - 1) - 1) >= 0);
        Random r = new Random(seed);
        GraphBuilder b = new GraphBuilder("t");
        String x = b.input("x", 1, c, h, w);
        String wt = b.constant("w", OpRunner.random(r, m * cpg * k * k), m, cpg, k, k);
        Conv op = new Conv(k, k, s, s, d, d, "NOTSET", new long[] {pad, pad, pad, 0}, groups);
        String y = bias ? b.node("conv", op, x, wt, b.constant("b", OpRunner.random(r, m), m)) : b.node("conv", op, x, wt);
        Graph g = b.output(y).build();
        Node n = g.nodes().get(0);
        Conv.Reference kernel = (Conv.Reference) op.referenceKernel(g.kernelContext(n));
        int[] os = g.shape("conv");
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Tensor.fromLogical(arena, OpRunner.random(r, c * h * w), 1, c, h, w);
            Tensor fast = Tensor.allocate(arena, os);
            Tensor simple = Tensor.allocate(arena, os);
            kernel.runRows(new Tensor[] {in}, new int[1], fast, 0, 0, os[2]);
            kernel.runRowsSimple(new Tensor[] {in}, new int[1], simple, 0, 0, os[2]);
            assertThat(fast.toLogicalArray()).containsExactly(simple.toLogicalArray());
        }
    }

    @net.jqwik.api.Example
    void batchOfTwoEqualsEachImageAlone() {
        Random r = new Random(9);
        float[] w = OpRunner.random(r, 4 * 3 * 9);
        float[] b = OpRunner.random(r, 4);
        float[] x = OpRunner.random(r, 2 * 3 * 5 * 6);
        Conv op = Conv.of(3, 2, 1, 1);
        float[] both = new OpRunner().input(x, 2, 3, 5, 6).constant(w, 4, 3, 3, 3).constant(b, 4).run(op);
        float[] first = new OpRunner().input(java.util.Arrays.copyOfRange(x, 0, 90), 1, 3, 5, 6).constant(w, 4, 3, 3, 3)
                .constant(b, 4).run(op);
        float[] second = new OpRunner().input(java.util.Arrays.copyOfRange(x, 90, 180), 1, 3, 5, 6).constant(w, 4, 3, 3, 3)
                .constant(b, 4).run(op);
        assertThat(java.util.Arrays.copyOfRange(both, 0, first.length)).containsExactly(first);
        assertThat(java.util.Arrays.copyOfRange(both, first.length, both.length)).containsExactly(second);
    }
}
