package io.coedge.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The weight layout of {@code coedge_f32_gemm_packed} ({@code coedge_kernels.h}): B ({@code [k, n]})
 * in blocks of {@link #kStep} rows, each block a run of panels {@link #NR} columns wide, zero past
 * {@code n}. The GEMM then streams the weights strictly in order, once per call, instead of packing
 * them again on every call as a general sgemm must.
 */
final class PackedWeights {
    /** {@code COEDGE_GEMM_KC}. */
    static final int KC = 256;
    /** {@code COEDGE_GEMM_NR}. */
    static final int NR = 32;

    private PackedWeights() {
    }

    /** {@code COEDGE_GEMM_KSTEP}: rows per block, at most {@link #KC}, the blocks as even as possible. */
    static int kStep(int k) {
        int blocks = Math.ceilDiv(k, KC);
        return Math.ceilDiv(k, blocks);
    }

    /** Packs row-major {@code b} ({@code [k, n]}, row stride {@code n}) into 64-byte aligned memory of {@code arena}. */
    static MemorySegment pack(Arena arena, MemorySegment b, int k, int n) {
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT_UNALIGNED;
        int npad = Math.ceilDiv(n, NR) * NR;
        MemorySegment out = arena.allocate((long) k * npad * Float.BYTES, 64);
        int step = kStep(k);
        for (int k0 = 0; k0 < k; k0 += step) {
            int kc = Math.min(step, k - k0);
            for (int p = 0; p < npad / NR; p++) {
                long base = (long) k0 * npad + (long) p * kc * NR;
                for (int kk = 0; kk < kc; kk++) {
                    for (int jj = 0; jj < NR; jj++) {
                        int j = p * NR + jj;
                        float v = j < n ? b.getAtIndex(f, (long) (k0 + kk) * n + j) : 0f;
                        out.setAtIndex(f, base + (long) kk * NR + jj, v);
                    }
                }
            }
        }
        return out;
    }
}
