package io.coedge.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class VectorSgemmTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Property(tries = 60)
    void equalsNaiveMatrixProductWithOffsetsAndLeadingDimensions(
            @ForAll @IntRange(min = 1, max = 37) int m, @ForAll @IntRange(min = 1, max = 70) int n,
            @ForAll @IntRange(min = 1, max = 600) int k, @ForAll @IntRange(min = 0, max = 3) int pad,
            @ForAll @IntRange(min = 0, max = 2) int betaChoice, @ForAll long seed) {
        Assumptions.assumeTrue(new VectorKernelProvider().available(), VectorKernelProvider.problem());
        Random r = new Random(seed);
        float beta = betaChoice == 0 ? 0f : betaChoice == 1 ? 1f : 0.5f;
        int lda = k + pad, ldb = n + pad, ldc = n + pad;
        long off = 4L * pad;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = random(arena, r, off / 4 + (long) m * lda), b = random(arena, r, off / 4 + (long) k * ldb);
            MemorySegment c = random(arena, r, off / 4 + (long) m * ldc);
            float[] expect = new float[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double acc = beta == 0f ? 0 : beta * c.get(F, off + 4L * ((long) i * ldc + j));
                    for (int q = 0; q < k; q++) {
                        acc += (double) a.get(F, off + 4L * ((long) i * lda + q)) * b.get(F, off + 4L * ((long) q * ldb + j));
                    }
                    expect[i * n + j] = (float) acc;
                }
            }
            VectorSgemm.INSTANCE.gemm(m, n, k, a, off, lda, b, off, ldb, beta, c, off, ldc);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float e = expect[i * n + j];
                    assertThat(c.get(F, off + 4L * ((long) i * ldc + j))).as("C[%d,%d]", i, j)
                            .isCloseTo(e, org.assertj.core.api.Assertions.within(1e-4f * Math.max(1f, Math.abs(e)) * (float) Math.sqrt(k)));
                }
            }
        }
    }

    @Test
    void refusesMatricesThatDoNotFitTheirSegments() {
        Assumptions.assumeTrue(new VectorKernelProvider().available(), VectorKernelProvider.problem());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(16);
            assertThatThrownBy(() -> VectorSgemm.INSTANCE.gemm(2, 2, 2, small, 0, 2, small, 0, 2, 0f, arena.allocate(8), 0, 2))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("sgemm C");
        }
    }

    private static MemorySegment random(Arena arena, Random r, long floats) {
        MemorySegment s = arena.allocate(floats * 4, 64);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(F, i, r.nextFloat() * 2 - 1);
        }
        return s;
    }
}
