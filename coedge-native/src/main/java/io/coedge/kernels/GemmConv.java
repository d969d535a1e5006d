package io.coedge.kernels;

import io.coedge.graph.RowKernel;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Convolution as im2col of the output tile plus one sgemm per group. NHWC makes the tile a plain
 * matrix: output rows {@code [r0, r1)} are {@code [(r1 - r0) * W_out, M]} row-major, and the im2col
 * matrix is {@code [(r1 - r0) * W_out, kH * kW * C/group]} with the window in (ky, kx, c) order,
 * matching the weights packed once here as {@code [kH * kW * C/group, M/group]} per group.
 *
 * <p>A 1x1 stride-1 unpadded convolution needs no im2col: the input band already is the
 * {@code [rows * W, C]} matrix. The bias is written into the output first and sgemm accumulates onto
 * it ({@code beta = 1}). Bands larger than the im2col budget are done in row tiles.
 */
final class GemmConv implements RowKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final ConvGeometry g;
    private final Sgemm sgemm;
    private final NativeLibrary.Kernels nativeKernels;
    private final MemorySegment window;
    private final MemorySegment packed;
    private final MemorySegment bias;
    private final int tileRows;

    /** @param nativeKernels C kernels for im2col, or null to pack in Java */
    GemmConv(ConvGeometry g, Sgemm sgemm, NativeLibrary.Kernels nativeKernels) {
        this.g = g;
        this.sgemm = sgemm;
        this.nativeKernels = nativeKernels;
        Arena arena = Arena.ofAuto();
        this.window = nativeKernels == null ? null : NativeLibrary.window(arena, g);
        int k = g.patch(), mpg = g.mpg(), cpg = g.cpg();
        this.packed = arena.allocate((long) g.group() * k * mpg * Float.BYTES, 64);
        float[] w = g.weightOihw();
        for (int grp = 0; grp < g.group(); grp++) {
            long base = (long) grp * k * mpg;
            for (int m = 0; m < mpg; m++) {
                int oc = grp * mpg + m;
                for (int ci = 0; ci < cpg; ci++) {
                    for (int y = 0; y < g.kh(); y++) {
                        for (int x = 0; x < g.kw(); x++) {
                            int row = (y * g.kw() + x) * cpg + ci;
                            packed.setAtIndex(F, base + (long) row * mpg + m, w[((oc * cpg + ci) * g.kh() + y) * g.kw() + x]);
                        }
                    }
                }
            }
        }
        if (g.bias() != null) {
            this.bias = arena.allocate((long) g.outC() * Float.BYTES, 64);
            MemorySegment.copy(g.bias(), 0, bias, F, 0, g.outC());
        } else {
            this.bias = null;
        }
        long rowBytes = (long) g.outW() * k * Float.BYTES;
        this.tileRows = g.pointwise() ? Math.max(1, g.outH())
                : (int) Math.max(1, Math.min(g.outH(), KernelSettings.im2colBytes() / rowBytes));
    }

    @Override
    public void runRows(Tensor[] inputs, int[] inputRow0, Tensor out, int outRow0, int r0, int r1) {
        Tensor x = inputs[0];
        int xRow0 = inputRow0[0];
        g.checkBand(x, xRow0, out, outRow0, r0, r1);
        WorkerPool pool = WorkerPool.shared();
        MemorySegment xs = pool.shareable(x.segment());
        MemorySegment ys = pool.shareable(out.segment());
        // At least ~256 output pixels per task keeps each sgemm efficient.
        pool.forRows(r0, r1, Math.ceilDiv(256, g.outW()), tileRows, (a, b) -> compute(xs, xRow0, ys, outRow0, a, b));
    }

    /** Output rows {@code [r0, r1)} on the calling thread, in tiles of at most {@code tileRows}. */
    private void compute(MemorySegment xs, int xRow0, MemorySegment ys, int outRow0, int r0, int r1) {
        int ow = g.outW(), m = g.outC(), mpg = g.mpg(), cpg = g.cpg(), k = g.patch();
        long packedGroupBytes = (long) k * mpg * Float.BYTES;
        for (int t0 = r0; t0 < r1; t0 += tileRows) {
            int t1 = (int) Math.min(r1, (long) t0 + tileRows);
            int pixels = (t1 - t0) * ow;
            long yOff = (long) (t0 - outRow0) * ow * m * Float.BYTES;
            float beta = 0f;
            if (bias != null) {
                for (int p = 0; p < pixels; p++) {
                    MemorySegment.copy(bias, 0, ys, yOff + (long) p * m * Float.BYTES, (long) m * Float.BYTES);
                }
                beta = 1f;
            }
            if (g.pointwise()) {
                long xOff = (long) (t0 - xRow0) * g.inW() * g.inC() * Float.BYTES;
                for (int grp = 0; grp < g.group(); grp++) {
                    sgemm.gemm(pixels, mpg, cpg, xs, xOff + (long) grp * cpg * Float.BYTES, g.inC(),
                            packed, grp * packedGroupBytes, mpg, beta, ys, yOff + (long) grp * mpg * Float.BYTES, m);
                }
            } else {
                MemorySegment col = Scratch.get((long) pixels * k * Float.BYTES);
                for (int grp = 0; grp < g.group(); grp++) {
                    if (nativeKernels != null) {
                        nativeKernels.im2col(window, xs, xRow0, cpg, grp, t0, t1, col);
                    } else {
                        Im2col.JAVA.pack(g, xs, xRow0, 0, t0, t1, grp, col);
                    }
                    sgemm.gemm(pixels, mpg, k, col, 0, k, packed, grp * packedGroupBytes, mpg, beta,
                            ys, yOff + (long) grp * mpg * Float.BYTES, m);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "GemmConv" + (g.pointwise() ? "[1x1]" : "[im2col]");
    }
}
