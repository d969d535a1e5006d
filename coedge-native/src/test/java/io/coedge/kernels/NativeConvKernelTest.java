package io.coedge.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.graph.RowKernel;
import io.coedge.ops.Conv;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Assumptions;

class NativeConvKernelTest {

    /**
     * Every fast conv kernel the providers can build for this node: native (OpenBLAS with C im2col,
     * OpenBLAS with Java im2col, each C ISA variant for depthwise) and vector.
     */
    static List<RowKernel> variants(RowKernelCheck check) {
        List<RowKernel> all = new ArrayList<>();
        ConvGeometry g = ConvGeometry.of((Conv) check.graph.nodes().get(0).op(), check.ctx);
        if (OpenBlas.available()) {
            all.add(check.fast(new NativeKernelProvider()::kernel));
            if (g.depthwise()) {
                all.add(new DepthwiseConv(g, null));
                for (NativeLibrary.Kernels k : NativeLibrary.allKernels()) {
                    all.add(new DepthwiseConv(g, k));
                }
            } else {
                all.add(new GemmConv(g, Sgemm.OPENBLAS, null));
                if (NativeLibrary.available()) {
                    // OpenBLAS with the C im2col and epilogue (the provider may pick the packed GEMM instead).
                    all.add(new GemmConv(g, Sgemm.OPENBLAS, NativeLibrary.kernels(), false));
                    // The packed GEMM fed by im2col and, where this CPU has it, the direct convolution,
                    // whichever of the two the provider picked above.
                    NativeLibrary.Kernels k = NativeLibrary.kernels();
                    if (g.group() == 1 && k.hasPackedGemm() && k.isa() != NativeLibrary.Isa.SCALAR) {
                        all.add(new GemmConv(g, Sgemm.OPENBLAS, k, true, false));
                        if (GemmConv.canUseDirect(g, k, true)) {
                            all.add(new GemmConv(g, Sgemm.OPENBLAS, k, true, true));
                        }
                    }
                }
            }
        }
        if (new VectorKernelProvider().available()) {
            all.add(check.fast(new VectorKernelProvider()::kernel));
        }
        Assumptions.assumeFalse(all.isEmpty(), () -> "neither OpenBLAS (" + OpenBlas.problem()
                + ") nor the Vector API (" + VectorKernelProvider.problem() + ") is available");
        return all;
    }

    static void checkAllBands(RowKernelCheck check, Conv c, int padTop, Random r) {
        int oh = check.outShape[2], ih = check.inShape[2];
        int mid = r.nextInt(oh);
        int[][] bands = {{0, oh}, {0, 1}, {oh - 1, oh}, {mid, mid + 1 + r.nextInt(oh - mid)}};
        for (RowKernel k : variants(check)) {
            check.checkWhole(k);
            for (int[] b : bands) {
                int[] in = RowKernelCheck.inputRows(b[0], b[1], c.strideH(), padTop, c.kernelH(), c.dilationH(), ih);
                check.checkBand(k, b[0], b[1], in[0], in[1]);
            }
        }
    }

    @Property(tries = 80)
    void convRowsEqualTheReferenceOnRandomShapes(@ForAll @IntRange(min = 1, max = 12) int cpg,
                                                 @ForAll @IntRange(min = 1, max = 13) int h,
                                                 @ForAll @IntRange(min = 1, max = 13) int w,
                                                 @ForAll @IntRange(min = 1, max = 9) int mpg,
                                                 @ForAll @IntRange(min = 1, max = 3) int group,
                                                 @ForAll @IntRange(min = 1, max = 5) int kh,
                                                 @ForAll @IntRange(min = 1, max = 5) int kw,
                                                 @ForAll @IntRange(min = 1, max = 3) int stride,
                                                 @ForAll @IntRange(min = 1, max = 2) int dilation,
                                                 @ForAll @IntRange(min = 0, max = 4) int padTop,
                                                 @ForAll @IntRange(min = 0, max = 4) int padLeft,
                                                 @ForAll @IntRange(min = 0, max = 4) int padBottom,
                                                 @ForAll @IntRange(min = 0, max = 4) int padRight,
                                                 @ForAll boolean bias, @ForAll long seed) {
        Assume.that(h + padTop + padBottom >= dilation * (kh - 1) + 1 && w + padLeft + padRight >= dilation * (kw - 1) + 1);
        Conv c = new Conv(kh, kw, stride, stride, dilation, dilation, "NOTSET",
                new long[] {padTop, padLeft, padBottom, padRight}, group);
        Random r = new Random(seed);
        RowKernelCheck check = RowKernelCheck.conv(r, c, cpg * group, h, w, mpg * group, cpg, kh, kw, bias);
        checkAllBands(check, c, padTop, r);
    }

    @Property(tries = 40)
    void convWithFusedReluEqualsConvThenRelu(@ForAll @IntRange(min = 1, max = 20) int c,
                                              @ForAll @IntRange(min = 1, max = 12) int h,
                                              @ForAll @IntRange(min = 1, max = 12) int w,
                                              @ForAll @IntRange(min = 1, max = 70) int m,
                                              @ForAll @IntRange(min = 1, max = 3) int k,
                                              @ForAll boolean bias, @ForAll long seed) {
        Conv conv = new Conv(k, k, 1, 1, 1, 1, "NOTSET", new long[] {k / 2, k / 2, k / 2, k / 2}, 1);
        Random r = new Random(seed);
        RowKernelCheck check = RowKernelCheck.conv(r, conv, c, h, w, m, c, k, k, bias);
        List<RowKernel> fused = new ArrayList<>();
        for (RowKernel v : variants(check)) {
            if (v.fuseRelu() instanceof RowKernel f) {
                fused.add(f);
            }
        }
        Assumptions.assumeFalse(fused.isEmpty(), "no conv kernel here fuses a ReLU");
        int r0 = r.nextInt(h), r1 = r0 + 1 + r.nextInt(h - r0);
        int[] in = RowKernelCheck.inputRows(r0, r1, 1, k / 2, k, 1, h);
        for (RowKernel f : fused) {
            check.checkWholeThenRelu(f);
            check.checkBandThenRelu(f, r0, r1, in[0], in[1]);
        }
    }

    @Property(tries = 40)
    void convWithFusedResidualAddEqualsConvPlusResidual(@ForAll @IntRange(min = 1, max = 20) int c,
                                                        @ForAll @IntRange(min = 1, max = 12) int h,
                                                        @ForAll @IntRange(min = 1, max = 12) int w,
                                                        @ForAll @IntRange(min = 1, max = 70) int m,
                                                        @ForAll @IntRange(min = 1, max = 3) int k,
                                                        @ForAll boolean bias, @ForAll boolean relu,
                                                        @ForAll long seed) {
        Conv conv = new Conv(k, k, 1, 1, 1, 1, "NOTSET", new long[] {k / 2, k / 2, k / 2, k / 2}, 1);
        Random r = new Random(seed);
        RowKernelCheck check = RowKernelCheck.conv(r, conv, c, h, w, m, c, k, k, bias);
        Assumptions.assumeTrue(OpenBlas.available(), "OpenBLAS is not available");
        RowKernel fast = check.fast(new NativeKernelProvider()::kernel);
        RowKernel withAdd = (RowKernel) fast.fuseAdd();
        Assumptions.assumeTrue(withAdd != null, "the conv kernel here does not fuse a residual add (no packed GEMM)");
        RowKernel kernel = relu ? (RowKernel) withAdd.fuseRelu() : withAdd;
        assertThat(kernel).isNotNull();
        int oh = check.outShape[2], ow = check.outShape[3];
        float[] resValues = RowKernelCheck.random(r, m * oh * ow);
        int r0 = r.nextInt(oh), r1 = r0 + 1 + r.nextInt(oh - r0);
        int[] in = RowKernelCheck.inputRows(r0, r1, 1, k / 2, k, 1, h);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.fromLogical(arena, check.input, check.inShape);
            Tensor res = Tensor.fromLogical(arena, resValues, 1, m, oh, ow);
            Tensor expect = Tensor.allocate(arena, 1, m, r1 - r0, ow), got = Tensor.allocate(arena, 1, m, r1 - r0, ow);
            check.reference.runRows(new Tensor[] {x.rows(in[0], in[1])}, new int[] {in[0]}, expect, r0, r0, r1);
            Tensor resBand = res.rows(r0, oh);
            for (int ch = 0; ch < m; ch++) {
                for (int y = 0; y < r1 - r0; y++) {
                    for (int xx = 0; xx < ow; xx++) {
                        long o = expect.offset4(0, ch, y, xx);
                        float v = expect.get(o) + resBand.at4(0, ch, y, xx);
                        expect.set(o, relu ? Math.max(0f, v) : v);
                    }
                }
            }
            got.fill(Float.NaN);
            // The weight and bias inputs are prepared; the residual comes last, as the executor passes it.
            kernel.runRows(new Tensor[] {x.rows(in[0], in[1]), null, null, resBand}, new int[] {in[0], 0, 0, r0},
                    got, r0, r0, r1);
            RowKernelCheck.compare(expect, got, "rows [" + r0 + ", " + r1 + ") + residual" + (relu ? " + relu" : ""));
        }
    }

    @Property(tries = 40)
    void depthwiseRowsEqualTheReference(@ForAll @IntRange(min = 2, max = 40) int channels,
                                        @ForAll @IntRange(min = 1, max = 12) int h,
                                        @ForAll @IntRange(min = 1, max = 12) int w,
                                        @ForAll @IntRange(min = 1, max = 5) int k,
                                        @ForAll @IntRange(min = 1, max = 2) int stride,
                                        @ForAll @IntRange(min = 1, max = 2) int dilation,
                                        @ForAll @IntRange(min = 0, max = 2) int pad,
                                        @ForAll boolean bias, @ForAll long seed) {
        Assume.that(h + 2 * pad >= dilation * (k - 1) + 1 && w + 2 * pad >= dilation * (k - 1) + 1);
        Conv c = Conv.of(k, stride, pad, channels).withDilation(dilation);
        Random r = new Random(seed);
        RowKernelCheck check = RowKernelCheck.conv(r, c, channels, h, w, channels, 1, k, k, bias);
        assertThat(ConvGeometry.of(c, check.ctx).depthwise()).isTrue();
        checkAllBands(check, c, pad, r);
    }

    /** The window geometries of the zoo (AlexNet, VGG-16, ResNet-18, GoogLeNet) on small maps. */
    @Example
    void zooConvGeometriesEqualTheReference() {
        Random r = new Random(11);
        int[][] geometries = { // k, stride, pad, in channels, out channels, size
            {11, 4, 2, 3, 16, 35}, {5, 1, 2, 16, 24, 9}, {3, 1, 1, 3, 16, 12}, {3, 1, 1, 16, 32, 7},
            {7, 2, 3, 3, 16, 21}, {3, 2, 1, 16, 32, 9}, {1, 2, 0, 16, 32, 9}, {1, 1, 0, 32, 24, 7},
            {3, 1, 1, 64, 64, 5}};
        for (int[] q : geometries) {
            Conv c = Conv.of(q[0], q[1], q[2], 1);
            RowKernelCheck check = RowKernelCheck.conv(r, c, q[3], q[5], q[5] + 2, q[4], q[3], q[0], q[0], true);
            checkAllBands(check, c, q[2], r);
        }
    }

    @Example
    void pointwiseConvWithBottomRightPaddingIsNotTreatedAsAPlainMatrixProduct() {
        Conv c = new Conv(1, 1, 1, 1, 1, 1, "NOTSET", new long[] {0, 0, 2, 1}, 1);
        Random r = new Random(4);
        RowKernelCheck check = RowKernelCheck.conv(r, c, 3, 4, 5, 6, 3, 1, 1, true);
        assertThat(check.outShape).containsExactly(1, 6, 6, 6);
        checkAllBands(check, c, 0, r);
    }

    @Example
    void tilingABandBeyondTheIm2colBudgetGivesTheSameRows() {
        String old = System.getProperty(KernelSettings.IM2COL_BYTES_PROPERTY);
        System.setProperty(KernelSettings.IM2COL_BYTES_PROPERTY, "1");
        try {
            Conv c = Conv.of(3, 1, 1, 1);
            Random r = new Random(3);
            RowKernelCheck check = RowKernelCheck.conv(r, c, 5, 9, 6, 7, 5, 3, 3, true);
            checkAllBands(check, c, 1, r);
        } finally {
            if (old == null) {
                System.clearProperty(KernelSettings.IM2COL_BYTES_PROPERTY);
            } else {
                System.setProperty(KernelSettings.IM2COL_BYTES_PROPERTY, old);
            }
        }
    }
}
