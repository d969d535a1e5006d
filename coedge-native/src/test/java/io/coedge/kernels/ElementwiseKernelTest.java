package io.coedge.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.RowKernel;
import io.coedge.ops.Binary;
import io.coedge.ops.Concat;
import io.coedge.ops.GlobalPool;
import io.coedge.ops.Unary;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Assumptions;

class ElementwiseKernelTest {

    @Property(tries = 30)
    void reluAddAndGlobalAveragePoolEqualTheReference(@ForAll @IntRange(min = 1, max = 40) int c,
                                                      @ForAll @IntRange(min = 1, max = 9) int h,
                                                      @ForAll @IntRange(min = 1, max = 9) int w,
                                                      @ForAll @IntRange(min = 0, max = 8) int r0Pick,
                                                      @ForAll long seed) {
        Assumptions.assumeTrue(NativeLibrary.available(), () -> "C kernel library not loaded: " + NativeLibrary.problem());
        Random r = new Random(seed);
        GraphBuilder gb = new GraphBuilder("t");
        String a = gb.input("a", 1, c, h, w);
        String b = gb.input("b", 1, c, h, w);
        String relu = gb.node("relu", Unary.relu(), a);
        String sum = gb.node("add", Binary.add(), relu, b);
        String gap = gb.node("gap", GlobalPool.average(), sum);
        Graph g = gb.output(gap).build();
        float[] av = RowKernelCheck.random(r, c * h * w), bv = RowKernelCheck.random(r, c * h * w);
        int r0 = Math.min(r0Pick, h - 1), r1 = r0 + 1 + r.nextInt(h - r0);
        try (Arena arena = Arena.ofConfined()) {
            Tensor at = Tensor.fromLogical(arena, av, 1, c, h, w), bt = Tensor.fromLogical(arena, bv, 1, c, h, w);
            for (var node : g.nodes()) {
                KernelContext ctx = g.kernelContext(node);
                Kernel fast = new NativeKernelProvider().kernel(ctx);
                Kernel ref = node.op().referenceKernel(ctx);
                assertThat(fast).as(node.name()).isNotNull();
                Tensor[] ins = node.name().equals("add") ? new Tensor[] {at, bt} : new Tensor[] {at};
                Tensor expect = Tensor.allocate(arena, g.shape(node.output()));
                Tensor got = Tensor.allocate(arena, g.shape(node.output()));
                got.fill(Float.NaN);
                ref.run(ins, new Tensor[] {expect});
                fast.run(ins, new Tensor[] {got});
                RowKernelCheck.compare(expect, got, node.name() + " whole");
                if (fast instanceof RowKernel rk && ref instanceof RowKernel rr) {
                    // Inputs as bands starting at different rows, as after a halo exchange.
                    Tensor[] bands = ins.length == 2 ? new Tensor[] {at.rows(r0, r1), bt.rows(0, r1)} : new Tensor[] {at.rows(r0, r1)};
                    int[] row0 = ins.length == 2 ? new int[] {r0, 0} : new int[] {r0};
                    Tensor e = Tensor.allocate(arena, 1, c, r1 - r0, w), o = Tensor.allocate(arena, 1, c, r1 - r0, w);
                    o.fill(Float.NaN);
                    rr.runRows(bands, row0, e, r0, r0, r1);
                    rk.runRows(bands, row0, o, r0, r0, r1);
                    RowKernelCheck.compare(e, o, node.name() + " rows [" + r0 + ", " + r1 + ")");
                }
            }
        }
    }

    @Property(tries = 30)
    void channelConcatEqualsTheReference(@ForAll @IntRange(min = 1, max = 20) int c0,
                                         @ForAll @IntRange(min = 1, max = 20) int c1,
                                         @ForAll @IntRange(min = 1, max = 20) int c2,
                                         @ForAll @IntRange(min = 1, max = 9) int h,
                                         @ForAll @IntRange(min = 1, max = 9) int w,
                                         @ForAll long seed) {
        Assumptions.assumeTrue(NativeLibrary.available(), () -> "C kernel library not loaded: " + NativeLibrary.problem());
        Random r = new Random(seed);
        GraphBuilder gb = new GraphBuilder("t");
        String a = gb.input("a", 1, c0, h, w);
        String b = gb.input("b", 1, c1, h, w);
        String d = gb.input("d", 1, c2, h, w);
        String cat = gb.node("cat", new Concat(1), a, b, d);
        Graph g = gb.output(cat).build();
        int r0 = r.nextInt(h), r1 = r0 + 1 + r.nextInt(h - r0);
        try (Arena arena = Arena.ofConfined()) {
            Tensor[] ins = {
                Tensor.fromLogical(arena, RowKernelCheck.random(r, c0 * h * w), 1, c0, h, w),
                Tensor.fromLogical(arena, RowKernelCheck.random(r, c1 * h * w), 1, c1, h, w),
                Tensor.fromLogical(arena, RowKernelCheck.random(r, c2 * h * w), 1, c2, h, w)};
            KernelContext ctx = g.kernelContext(g.nodes().get(0));
            Kernel fast = new NativeKernelProvider().kernel(ctx);
            assertThat(fast).isInstanceOf(ConcatRows.class);
            Kernel ref = g.nodes().get(0).op().referenceKernel(ctx);
            Tensor expect = Tensor.allocate(arena, g.shape(cat)), got = Tensor.allocate(arena, g.shape(cat));
            got.fill(Float.NaN);
            ref.run(ins, new Tensor[] {expect});
            fast.run(ins, new Tensor[] {got});
            RowKernelCheck.compare(expect, got, "concat whole");
            // Bands of the inputs from different first rows, as after a halo exchange.
            Tensor[] bands = {ins[0].rows(r0, r1), ins[1].rows(0, r1), ins[2].rows(r0, h)};
            int[] row0 = {r0, 0, r0};
            int ct = c0 + c1 + c2;
            Tensor e = Tensor.allocate(arena, 1, ct, r1 - r0, w), o = Tensor.allocate(arena, 1, ct, r1 - r0, w);
            o.fill(Float.NaN);
            ((RowKernel) ref).runRows(bands, row0, e, r0, r0, r1);
            ((RowKernel) fast).runRows(bands, row0, o, r0, r0, r1);
            RowKernelCheck.compare(e, o, "concat rows [" + r0 + ", " + r1 + ")");
        }
    }

    @Property(tries = 20)
    void addWithFusedReluEqualsAddThenRelu(@ForAll @IntRange(min = 1, max = 40) int c,
                                           @ForAll @IntRange(min = 1, max = 9) int h,
                                           @ForAll @IntRange(min = 1, max = 9) int w,
                                           @ForAll long seed) {
        Assumptions.assumeTrue(NativeLibrary.available(), () -> "C kernel library not loaded: " + NativeLibrary.problem());
        Random r = new Random(seed);
        GraphBuilder gb = new GraphBuilder("t");
        String a = gb.input("a", 1, c, h, w);
        String b = gb.input("b", 1, c, h, w);
        String sum = gb.node("add", Binary.add(), a, b);
        String relu = gb.node("relu", Unary.relu(), sum);
        Graph g = gb.output(relu).build();
        try (Arena arena = Arena.ofConfined()) {
            Tensor[] ins = {Tensor.fromLogical(arena, RowKernelCheck.random(r, c * h * w), 1, c, h, w),
                Tensor.fromLogical(arena, RowKernelCheck.random(r, c * h * w), 1, c, h, w)};
            Tensor sumT = Tensor.allocate(arena, 1, c, h, w), expect = Tensor.allocate(arena, 1, c, h, w);
            g.nodes().get(0).op().referenceKernel(g.kernelContext(g.nodes().get(0))).run(ins, new Tensor[] {sumT});
            g.nodes().get(1).op().referenceKernel(g.kernelContext(g.nodes().get(1))).run(new Tensor[] {sumT}, new Tensor[] {expect});
            Kernel fused = new NativeKernelProvider().kernel(g.kernelContext(g.nodes().get(0))).fuseRelu();
            assertThat(fused).isNotNull();
            Tensor got = Tensor.allocate(arena, 1, c, h, w);
            got.fill(Float.NaN);
            fused.run(ins, new Tensor[] {got});
            RowKernelCheck.compare(expect, got, "add+relu");
        }
    }
}
