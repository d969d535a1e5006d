package io.coedge.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.ops.Gemm;
import io.coedge.ops.Pads;
import io.coedge.ops.Pool;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Assumptions;

class PoolAndGemmKernelTest {

    @Property(tries = 60)
    void poolRowsOfEveryIsaEqualTheReference(@ForAll boolean max, @ForAll @IntRange(min = 1, max = 40) int c,
                                             @ForAll @IntRange(min = 1, max = 13) int h,
                                             @ForAll @IntRange(min = 1, max = 13) int w,
                                             @ForAll @IntRange(min = 1, max = 4) int k,
                                             @ForAll @IntRange(min = 1, max = 3) int stride,
                                             @ForAll @IntRange(min = 0, max = 3) int padTop,
                                             @ForAll @IntRange(min = 0, max = 3) int padLeft,
                                             @ForAll @IntRange(min = 0, max = 3) int padBottom,
                                             @ForAll @IntRange(min = 0, max = 3) int padRight,
                                             @ForAll boolean ceil, @ForAll boolean countIncludePad, @ForAll long seed) {
        Assumptions.assumeTrue(NativeLibrary.available(), () -> "C kernel library not loaded: " + NativeLibrary.problem());
        Assume.that(padTop < k && padLeft < k && padBottom < k && padRight < k);
        Assume.that(h + padTop + padBottom >= k && w + padLeft + padRight >= k);
        Pool pool = new Pool(max ? "MaxPool" : "AveragePool", k, k, stride, stride, 1, 1, "NOTSET",
                new Pads(padTop, padLeft, padBottom, padRight), ceil, countIncludePad);
        Random r = new Random(seed);
        RowKernelCheck check = RowKernelCheck.unary(r, pool, c, h, w);
        int oh = check.outShape[2];
        int mid = r.nextInt(oh);
        int[][] bands = {{0, oh}, {0, 1}, {oh - 1, oh}, {mid, mid + 1 + r.nextInt(oh - mid)}};
        List<NativeLibrary.Kernels> variants = NativeLibrary.allKernels();
        assertThat(variants).isNotEmpty();
        for (NativeLibrary.Kernels isa : variants) {
            PoolRows kernel = PoolRows.of(pool, check.ctx, isa);
            check.checkWhole(kernel);
            for (int[] b : bands) {
                int[] in = pool.inputRows(b[0], b[1], h);
                check.checkBand(kernel, b[0], b[1], in[0], in[1]);
            }
        }
    }

    /** The fully connected layer as exported (one row, weight [n, k]): the C row GEMV path, split in column blocks. */
    @Property(tries = 30)
    void fullyConnectedRowEqualsTheReference(@ForAll @IntRange(min = 1, max = 700) int n,
                                             @ForAll @IntRange(min = 1, max = 300) int k,
                                             @ForAll @IntRange(min = 0, max = 3) int cKind,
                                             @ForAll boolean unitScales, @ForAll long seed) {
        gemmEqualsTheReference(1, n, k, false, true, cKind, unitScales, seed);
    }

    @Property(tries = 40)
    void gemmEqualsTheReference(@ForAll @IntRange(min = 1, max = 5) int m, @ForAll @IntRange(min = 1, max = 70) int n,
                                @ForAll @IntRange(min = 1, max = 300) int k, @ForAll boolean transA,
                                @ForAll boolean transB, @ForAll @IntRange(min = 0, max = 3) int cKind,
                                @ForAll boolean unitScales, @ForAll long seed) {
        Random r = new Random(seed);
        float alpha = unitScales ? 1f : 0.75f, beta = unitScales ? 1f : -0.5f;
        GraphBuilder gb = new GraphBuilder("t");
        String a = gb.input("a", transA ? k : m, transA ? m : k);
        String b = gb.constant("b", RowKernelCheck.random(r, k * n), transB ? n : k, transB ? k : n);
        int[] cShape = switch (cKind) {
            case 0 -> null;
            case 1 -> new int[] {n};
            case 2 -> new int[] {m, n};
            default -> new int[] {m, 1};
        };
        String y = cShape == null ? gb.node("fc", new Gemm(alpha, beta, transA, transB), a, b)
                : gb.node("fc", new Gemm(alpha, beta, transA, transB), a, b,
                        gb.constant("c", RowKernelCheck.random(r, cShape.length == 1 ? n : m * cShape[1]), cShape));
        Graph g = gb.output(y).build();
        KernelContext ctx = g.kernelContext(g.nodes().get(0));
        Kernel reference = g.nodes().get(0).op().referenceKernel(ctx);
        float[] input = RowKernelCheck.random(r, m * k);
        int tested = 0;
        for (Kernel fast : new Kernel[] {
            OpenBlas.available() ? new NativeKernelProvider().kernel(ctx) : null,
            new VectorKernelProvider().available() ? new VectorKernelProvider().kernel(ctx) : null}) {
            if (fast == null) {
                continue;
            }
            tested++;
            try (Arena arena = Arena.ofConfined()) {
                Tensor x = Tensor.fromLogical(arena, input, g.inputs().get(0).shape());
                Tensor expect = Tensor.allocate(arena, m, n), got = Tensor.allocate(arena, m, n);
                got.fill(Float.NaN);
                reference.run(new Tensor[] {x, g.constant("b"), cShape == null ? null : g.constant("c")}, new Tensor[] {expect});
                Tensor[] ins = cShape == null ? new Tensor[] {x, g.constant("b")} : new Tensor[] {x, g.constant("b"), g.constant("c")};
                fast.run(ins, new Tensor[] {got});
                RowKernelCheck.compare(expect, got, fast.getClass().getSimpleName());
            }
        }
        // The vector path declines transposed A and non-unit alpha; OpenBLAS takes everything.
        Assume.that(tested > 0);
    }
}
