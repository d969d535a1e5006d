package io.coedge.ops;

import static io.coedge.ops.OpRunner.iota;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.coedge.graph.ModelException;
import org.junit.jupiter.api.Test;

class MatrixOpsTest {

    @Test
    void gemmMultipliesAndAddsAVectorBias() {
        // [[1,2,3],[4,5,6]] x [[1,0],[0,1],[1,1]] + [10, 20]
        float[] y = new OpRunner().input(iota(6), 2, 3).constant(new float[] {1, 0, 0, 1, 1, 1}, 3, 2)
                .constant(new float[] {10, 20}, 2).run(new Gemm(1, 1, false, false));
        assertThat(y).containsExactly(14, 25, 20, 31);
    }

    @Test
    void gemmTransposesScalesAndBroadcastsAColumnBias() {
        // A^T with A = [[1,4],[2,5],[3,6]] is [[1,2,3],[4,5,6]]; B^T with B = [[1,0,1],[0,1,1]]; C = [[1],[2]]
        float[] y = new OpRunner().input(new float[] {1, 4, 2, 5, 3, 6}, 3, 2).constant(new float[] {1, 0, 1, 0, 1, 1}, 2, 3)
                .constant(new float[] {1, 2}, 2, 1).run(new Gemm(2, 0.5f, true, true));
        assertThat(y).containsExactly(2 * 4 + 0.5f, 2 * 5 + 0.5f, 2 * 10 + 1, 2 * 11 + 1);
        float[] noC = new OpRunner().input(iota(2), 1, 2).constant(iota(4), 2, 2).run(Gemm.linear());
        // x W^T with W = [[1,2],[3,4]]: [1*1+2*2, 1*3+2*4]
        assertThat(noC).containsExactly(5, 11);
        float[] scalarC = new OpRunner().input(iota(2), 1, 2).constant(iota(4), 2, 2).constant(new float[] {100}, 1)
                .run(Gemm.linear());
        assertThat(scalarC).containsExactly(105, 111);
    }

    @Test
    void gemmRejectsInnerDimensionMismatch() {
        assertThatThrownBy(() -> new OpRunner().input(iota(6), 2, 3).constant(iota(4), 2, 2).shape(new Gemm(1, 1, false, false)))
                .isInstanceOf(ModelException.class).hasMessageContaining("2x3");
    }

    @Test
    void matMulHandlesVectorsOnEitherSide() {
        assertThat(new OpRunner().input(iota(2), 2).constant(iota(6), 2, 3).run(new MatMul())).containsExactly(9, 12, 15);
        assertThat(new OpRunner().input(iota(2), 2).constant(iota(6), 2, 3).shape(new MatMul())).containsExactly(3);
        assertThat(new OpRunner().input(iota(6), 2, 3).constant(iota(3), 3).run(new MatMul())).containsExactly(14, 32);
        assertThat(new OpRunner().input(iota(3), 3).constant(iota(3), 3).shape(new MatMul())).isEmpty();
        assertThat(new OpRunner().input(iota(3), 3).constant(iota(3), 3).run(new MatMul())).containsExactly(14);
    }

    @Test
    void batchedMatMulBroadcastsLeadingDimensions() {
        // [2, 1, 2, 2] x [3, 2, 1] -> [2, 3, 2, 1]
        float[] a = iota(8);
        float[] b = {1, 1, 1, 0, 0, 1};
        OpRunner r = new OpRunner().input(a, 2, 1, 2, 2).input(b, 3, 2, 1);
        assertThat(r.shape(new MatMul())).containsExactly(2, 3, 2, 1);
        float[] y = new OpRunner().input(a, 2, 1, 2, 2).input(b, 3, 2, 1).run(new MatMul());
        float[] expect = new float[12];
        int i = 0;
        for (int n = 0; n < 2; n++) {
            for (int t = 0; t < 3; t++) {
                for (int row = 0; row < 2; row++) {
                    expect[i++] = a[n * 4 + row * 2] * b[t * 2] + a[n * 4 + row * 2 + 1] * b[t * 2 + 1];
                }
            }
        }
        assertThat(y).containsExactly(expect);
    }

    @Test
    void softmaxBeforeOpset13NormalisesTheFlattenedTail() {
        float[] x = {0, 1, 2, 3};
        // opset 11, axis 1 on [1, 2, 2]: one distribution over all 4 values
        float[] legacy = new OpRunner().input(x, 1, 2, 2).run(new Softmax(1, true));
        double z = 1 + Math.E + Math.exp(2) + Math.exp(3);
        assertThat(legacy).containsExactly(new float[] {(float) (1 / z), (float) (Math.E / z), (float) (Math.exp(2) / z),
            (float) (Math.exp(3) / z)}, within(1e-6f));
        // opset 13, axis 1: two distributions along the middle axis, pairs (0,2) and (1,3)
        float[] modern = new OpRunner().input(x, 1, 2, 2).run(new Softmax(1, false));
        float lo = (float) (1 / (1 + Math.exp(2))), hi = (float) (Math.exp(2) / (1 + Math.exp(2)));
        assertThat(modern).containsExactly(new float[] {lo, lo, hi, hi}, within(1e-6f));
    }

    @Test
    void softmaxDefaultAxisDependsOnOpset() {
        Softmax v11 = Softmax.fromAttributes(new io.coedge.graph.Attributes("s"), 11);
        Softmax v13 = Softmax.fromAttributes(new io.coedge.graph.Attributes("s"), 13);
        assertThat(v11).isEqualTo(new Softmax(1, true));
        assertThat(v13).isEqualTo(new Softmax(-1, false));
        float[] y = new OpRunner().input(new float[] {1, 1, 5, 5}, 2, 2).run(v13);
        assertThat(y).containsExactly(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, within(1e-6f));
    }

    @Test
    void softmaxOfAFeatureMapReadsLogicalOrder() {
        // Along channels of an NHWC-stored map.
        float[] y = new OpRunner().input(new float[] {0, 0, 0, 0, 1, 1, 1, 1}, 1, 2, 2, 2).run(new Softmax(1, false));
        float lo = (float) (1 / (1 + Math.E)), hi = (float) (Math.E / (1 + Math.E));
        assertThat(y).containsExactly(new float[] {lo, lo, lo, lo, hi, hi, hi, hi}, within(1e-6f));
    }
}
