package io.coedge.kernels;

import io.coedge.graph.RowKernel;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Depthwise convolution (one filter per channel) computed directly. Each output pixel starts from the
 * bias and accumulates {@code x[iy, ix, :] * w[ky, kx, :]} over the window: in NHWC both operands are
 * contiguous along channels, so the inner loop is a plain multiply-add over a channel vector. The C
 * library, when loaded, does the same with SIMD.
 */
final class DepthwiseConv implements RowKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final ConvGeometry g;
    /** {@code [kH * kW][C]}. */
    private final MemorySegment packed;
    private final MemorySegment bias;
    private final NativeLibrary.Kernels nativeKernels;
    private final MemorySegment window;
    /** Each calling thread's arguments of a parallel call ({@link KernelCall}). */
    private final ThreadLocal<KernelCall.SegmentBand<DepthwiseConv>> calls =
            ThreadLocal.withInitial(KernelCall.SegmentBand::new);

    /** @param nativeKernels the C kernels to use, or null for the Java loop */
    DepthwiseConv(ConvGeometry g, NativeLibrary.Kernels nativeKernels) {
        this.g = g;
        this.nativeKernels = nativeKernels;
        int c = g.inC(), taps = g.kh() * g.kw();
        Arena arena = Arena.ofAuto();
        this.window = nativeKernels == null ? null : NativeLibrary.window(arena, g);
        packed = arena.allocate((long) taps * c * Float.BYTES, 64);
        float[] w = g.weightOihw();
        for (int ch = 0; ch < c; ch++) {
            for (int t = 0; t < taps; t++) {
                packed.setAtIndex(F, (long) t * c + ch, w[ch * taps + t]);
            }
        }
        bias = arena.allocate((long) c * Float.BYTES, 64);
        if (g.bias() != null) {
            MemorySegment.copy(g.bias(), 0, bias, F, 0, c);
        }
    }

    /** Writes every output element (the executor need not zero the buffer first). */
    @Override
    public boolean overwritesOutputs() {
        return true;
    }

    @Override
    public void runRows(Tensor[] inputs, int[] inputRow0, Tensor out, int outRow0, int r0, int r1) {
        Tensor x = inputs[0];
        int xRow0 = inputRow0[0];
        g.checkBand(x, xRow0, out, outRow0, r0, r1);
        WorkerPool pool = WorkerPool.shared();
        MemorySegment xs = pool.shareable(x.segment()), ys = pool.shareable(out.segment());
        KernelCall.SegmentBand<DepthwiseConv> c = KernelCall.take(calls, KernelCall.SegmentBand::new, this)
                .band(DepthwiseConv::band, xs, xRow0, ys, outRow0);
        KernelCall.forRows(pool, r0, r1, 1, Integer.MAX_VALUE, c);
    }

    private void band(MemorySegment xs, int xRow0, MemorySegment ys, int outRow0, int a, int b) {
        if (nativeKernels != null) {
            nativeKernels.dwconv(window, xs, xRow0, packed, bias, ys, outRow0, a, b);
        } else {
            compute(xs, xRow0, ys, outRow0, a, b);
        }
    }

    private void compute(MemorySegment xs, int xRow0, MemorySegment ys, int outRow0, int r0, int r1) {
        int c = g.inC(), w = g.inW(), ow = g.outW();
        for (int oy = r0; oy < r1; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                long o = ((long) (oy - outRow0) * ow + ox) * c;
                MemorySegment.copy(bias, 0, ys, o * Float.BYTES, (long) c * Float.BYTES);
                for (int ky = 0; ky < g.kh(); ky++) {
                    int iy = oy * g.sh() - g.padTop() + ky * g.dh();
                    if (iy < 0 || iy >= g.inH()) {
                        continue;
                    }
                    for (int kx = 0; kx < g.kw(); kx++) {
                        int ix = ox * g.sw() - g.padLeft() + kx * g.dw();
                        if (ix < 0 || ix >= w) {
                            continue;
                        }
                        long xi = ((long) (iy - xRow0) * w + ix) * c;
                        long wi = (long) (ky * g.kw() + kx) * c;
                        for (int ch = 0; ch < c; ch++) {
                            ys.setAtIndex(F, o + ch, ys.getAtIndex(F, o + ch)
                                    + xs.getAtIndex(F, xi + ch) * packed.getAtIndex(F, wi + ch));
                        }
                    }
                }
            }
        }
    }
}
