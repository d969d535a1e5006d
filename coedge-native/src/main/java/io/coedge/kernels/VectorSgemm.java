package io.coedge.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * sgemm in Java with the Vector API, for machines without OpenBLAS. A register-blocked micro-kernel
 * of 4 rows of {@code C} by two vectors of columns accumulates over a block of {@code K}; the block of
 * {@code B} it reads ({@code KC} rows by two vectors) stays in L1 while every row of {@code A} passes.
 * Only loaded when the {@code jdk.incubator.vector} module is present.
 */
final class VectorSgemm implements Sgemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final int KC = 256;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    static final VectorSgemm INSTANCE = new VectorSgemm();

    private VectorSgemm() {
    }

    /** Lane count of the preferred species, for {@code coedge info}. */
    static int lanes() {
        return VL;
    }

    static String species() {
        return S.toString();
    }

    @Override
    public void gemm(int m, int n, int k, MemorySegment a, long ao, int lda, MemorySegment b, long bo, int ldb,
                     float beta, MemorySegment c, long co, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        checkBounds(m, k, a, ao, lda, "A");
        checkBounds(k, n, b, bo, ldb, "B");
        checkBounds(m, n, c, co, ldc, "C");
        if (beta != 1f) {
            for (int i = 0; i < m; i++) {
                long row = co + (long) i * ldc * 4;
                for (int j = 0; j < n; j++) {
                    c.set(F, row + 4L * j, beta == 0f ? 0f : beta * c.get(F, row + 4L * j));
                }
            }
        }
        for (int k0 = 0; k0 < k; k0 += KC) {
            int k1 = Math.min(k, k0 + KC);
            int j = 0;
            for (; j + 2 * VL <= n; j += 2 * VL) {
                int i = 0;
                for (; i + 4 <= m; i += 4) {
                    block4x2(a, ao, lda, b, bo, ldb, c, co, ldc, i, j, k0, k1);
                }
                for (; i < m; i++) {
                    row1(a, ao, lda, b, bo, ldb, c, co, ldc, i, j, k0, k1, S.indexInRange(0, VL));
                    row1(a, ao, lda, b, bo, ldb, c, co, ldc, i, j + VL, k0, k1, S.indexInRange(0, VL));
                }
            }
            for (; j < n; j += VL) {
                VectorMask<Float> mask = S.indexInRange(j, n);
                for (int i = 0; i < m; i++) {
                    row1(a, ao, lda, b, bo, ldb, c, co, ldc, i, j, k0, k1, mask);
                }
            }
        }
    }

    private static void checkBounds(int rows, int cols, MemorySegment s, long off, int ld, String what) {
        if (rows == 0 || cols == 0) {
            return;
        }
        long last = off + ((long) (rows - 1) * ld + cols) * 4;
        if (off < 0 || ld < cols || last > s.byteSize()) {
            throw new IndexOutOfBoundsException("sgemm " + what + ": " + rows + "x" + cols + " (ld " + ld + ") at byte "
                    + off + " does not fit " + s.byteSize() + " bytes");
        }
    }

    private static void block4x2(MemorySegment a, long ao, int lda, MemorySegment b, long bo, int ldb,
                                 MemorySegment c, long co, int ldc, int i, int j, int k0, int k1) {
        long c0 = co + ((long) i * ldc + j) * 4, c1 = c0 + (long) ldc * 4, c2 = c1 + (long) ldc * 4, c3 = c2 + (long) ldc * 4;
        long vb = (long) VL * 4;
        FloatVector x00 = FloatVector.fromMemorySegment(S, c, c0, NATIVE);
        FloatVector x01 = FloatVector.fromMemorySegment(S, c, c0 + vb, NATIVE);
        FloatVector x10 = FloatVector.fromMemorySegment(S, c, c1, NATIVE);
        FloatVector x11 = FloatVector.fromMemorySegment(S, c, c1 + vb, NATIVE);
        FloatVector x20 = FloatVector.fromMemorySegment(S, c, c2, NATIVE);
        FloatVector x21 = FloatVector.fromMemorySegment(S, c, c2 + vb, NATIVE);
        FloatVector x30 = FloatVector.fromMemorySegment(S, c, c3, NATIVE);
        FloatVector x31 = FloatVector.fromMemorySegment(S, c, c3 + vb, NATIVE);
        long a0 = ao + (long) i * lda * 4, a1 = a0 + (long) lda * 4, a2 = a1 + (long) lda * 4, a3 = a2 + (long) lda * 4;
        long bRow = bo + ((long) k0 * ldb + j) * 4;
        for (int kk = k0; kk < k1; kk++, bRow += (long) ldb * 4) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bRow, NATIVE);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bRow + vb, NATIVE);
            long ak = 4L * kk;
            FloatVector v = FloatVector.broadcast(S, a.get(F, a0 + ak));
            x00 = v.fma(b0, x00);
            x01 = v.fma(b1, x01);
            v = FloatVector.broadcast(S, a.get(F, a1 + ak));
            x10 = v.fma(b0, x10);
            x11 = v.fma(b1, x11);
            v = FloatVector.broadcast(S, a.get(F, a2 + ak));
            x20 = v.fma(b0, x20);
            x21 = v.fma(b1, x21);
            v = FloatVector.broadcast(S, a.get(F, a3 + ak));
            x30 = v.fma(b0, x30);
            x31 = v.fma(b1, x31);
        }
        x00.intoMemorySegment(c, c0, NATIVE);
        x01.intoMemorySegment(c, c0 + vb, NATIVE);
        x10.intoMemorySegment(c, c1, NATIVE);
        x11.intoMemorySegment(c, c1 + vb, NATIVE);
        x20.intoMemorySegment(c, c2, NATIVE);
        x21.intoMemorySegment(c, c2 + vb, NATIVE);
        x30.intoMemorySegment(c, c3, NATIVE);
        x31.intoMemorySegment(c, c3 + vb, NATIVE);
    }

    private static void row1(MemorySegment a, long ao, int lda, MemorySegment b, long bo, int ldb, MemorySegment c,
                             long co, int ldc, int i, int j, int k0, int k1, VectorMask<Float> mask) {
        long cr = co + ((long) i * ldc + j) * 4;
        FloatVector acc = FloatVector.fromMemorySegment(S, c, cr, NATIVE, mask);
        long ar = ao + (long) i * lda * 4;
        long bRow = bo + ((long) k0 * ldb + j) * 4;
        for (int kk = k0; kk < k1; kk++, bRow += (long) ldb * 4) {
            FloatVector bv = FloatVector.fromMemorySegment(S, b, bRow, NATIVE, mask);
            acc = FloatVector.broadcast(S, a.get(F, ar + 4L * kk)).fma(bv, acc);
        }
        acc.intoMemorySegment(c, cr, NATIVE, mask);
    }

}
