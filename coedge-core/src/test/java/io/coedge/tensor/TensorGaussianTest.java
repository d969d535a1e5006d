package io.coedge.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TensorGaussianTest {
    @Test
    void valuesAreTheSeededStandardNormalsInLogicalOrder() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.gaussian(arena, 7, 1, 3, 4, 5);
            assertThat(t.shape()).containsExactly(1, 3, 4, 5);
            assertThat(t.layout()).isEqualTo(Tensor.defaultLayout(new int[] {1, 3, 4, 5}));
            Random r = new Random(7);
            float[] expected = new float[60];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = (float) r.nextGaussian();
            }
            assertThat(t.toLogicalArray()).containsExactly(expected);
            assertThat(Tensor.gaussian(arena, 8, 1, 3, 4, 5).toLogicalArray()).isNotEqualTo(expected);
        }
    }
}
