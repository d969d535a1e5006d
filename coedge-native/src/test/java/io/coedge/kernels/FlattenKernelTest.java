package io.coedge.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.ops.Flatten;
import io.coedge.tensor.Layout;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class FlattenKernelTest {

    /** NHWC maps (1x1 ones included, where the kernel copies) come out in NCHW order, as the reference writes them. */
    @Property(tries = 40)
    void flattenOfAFeatureMapEqualsTheReference(@ForAll @IntRange(min = 1, max = 40) int c,
                                                @ForAll @IntRange(min = 1, max = 7) int h,
                                                @ForAll @IntRange(min = 1, max = 7) int w,
                                                @ForAll long seed) {
        GraphBuilder gb = new GraphBuilder("t");
        String x = gb.input("x", 1, c, h, w);
        Graph g = gb.output(gb.node("flatten", new Flatten(1), x)).build();
        KernelContext ctx = g.kernelContext(g.nodes().get(0));
        Kernel fast = FlattenKernel.of(new Flatten(1), ctx);
        assertThat(fast).isNotNull();
        float[] values = RowKernelCheck.random(new Random(seed), c * h * w);
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Tensor.fromLogical(arena, values, 1, c, h, w);
            assertThat(in.layout()).isEqualTo(Layout.NHWC);
            Tensor expect = Tensor.allocate(arena, 1, c * h * w), got = Tensor.allocate(arena, 1, c * h * w);
            got.fill(Float.NaN);
            new Flatten(1).referenceKernel(ctx).run(new Tensor[] {in}, new Tensor[] {expect});
            fast.run(new Tensor[] {in}, new Tensor[] {got});
            assertThat(got.toLogicalArray()).containsExactly(expect.toLogicalArray());
            assertThat(got.toLogicalArray()).containsExactly(values);
        }
    }

    @Property(tries = 5)
    void flattenWithAnotherAxisIsLeftToTheReference(@ForAll @IntRange(min = 2, max = 3) int axis) {
        GraphBuilder gb = new GraphBuilder("t");
        String x = gb.input("x", 1, 3, 4, 5);
        Graph g = gb.output(gb.node("flatten", new Flatten(axis), x)).build();
        assertThat(FlattenKernel.of(new Flatten(axis), g.kernelContext(g.nodes().get(0)))).isNull();
    }
}
