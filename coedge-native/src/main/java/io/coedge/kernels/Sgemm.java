package io.coedge.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Row-major {@code C = A * B + beta * C} on native memory: {@code A} is {@code [m, k]} with leading
 * dimension {@code lda}, {@code B} {@code [k, n]} with {@code ldb}, {@code C} {@code [m, n]} with
 * {@code ldc}; offsets are in bytes, leading dimensions in floats. Segment plus offset (rather than a
 * slice) keeps the hot path free of allocations.
 */
interface Sgemm {
    void gemm(int m, int n, int k, MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
              float beta, MemorySegment c, long cOffset, int ldc);

    /** OpenBLAS {@code cblas_sgemm}. */
    Sgemm OPENBLAS = (m, n, k, a, ao, lda, b, bo, ldb, beta, c, co, ldc) ->
            OpenBlas.sgemmAt(m, n, k, a.address() + ao, lda, b.address() + bo, ldb, beta, c.address() + co, ldc);
}
