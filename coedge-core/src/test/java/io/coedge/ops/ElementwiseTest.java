package io.coedge.ops;

import static io.coedge.ops.OpRunner.iota;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.coedge.graph.Attributes;
import io.coedge.graph.ModelException;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class ElementwiseTest {

    @Test
    void addBroadcastsATrailingVector() {
        float[] y = new OpRunner().input(iota(6), 2, 3).constant(new float[] {10, 20, 30}, 3).run(Binary.add());
        assertThat(y).containsExactly(11, 22, 33, 14, 25, 36);
    }

    @Test
    void mulBroadcastsAPerChannelScaleOverAFeatureMap() {
        // Squeeze-excitation style: [1, 2, 2, 2] map times [1, 2, 1, 1] scale.
        float[] y = new OpRunner().input(iota(8), 1, 2, 2, 2).input(new float[] {2, -1}, 1, 2, 1, 1).run(new Binary("Mul"));
        assertThat(y).containsExactly(2, 4, 6, 8, -5, -6, -7, -8);
    }

    @Test
    void subAndDivBroadcastBothWays() {
        // [3, 1] - [1, 2] -> [3, 2]
        float[] y = new OpRunner().input(new float[] {1, 2, 3}, 3, 1).input(new float[] {10, 20}, 1, 2).run(new Binary("Sub"));
        assertThat(y).containsExactly(-9, -19, -8, -18, -7, -17);
        float[] d = new OpRunner().input(iota(4), 1, 1, 2, 2).constant(new float[] {2}, 1).run(new Binary("Div"));
        assertThat(d).containsExactly(0.5f, 1f, 1.5f, 2f);
    }

    @Test
    void residualAddOfTwoMapsIsElementWise() {
        float[] y = new OpRunner().input(iota(12), 1, 3, 2, 2).input(iota(12), 1, 3, 2, 2).run(Binary.add());
        float[] expect = iota(12);
        for (int i = 0; i < expect.length; i++) {
            expect[i] *= 2;
        }
        assertThat(y).containsExactly(expect);
    }

    @Test
    void shapesThatDoNotBroadcastAreRejectedWithBoth() {
        assertThatThrownBy(() -> new OpRunner().input(iota(6), 2, 3).input(iota(4), 4).shape(Binary.add()))
                .isInstanceOf(ModelException.class).hasMessageContaining("[2, 3]").hasMessageContaining("[4]");
    }

    @Test
    void clipTakesAttributesBeforeOpset11AndInputsAfter() {
        Clip old = Clip.fromAttributes("c", new Attributes("c").put("min", 0f).put("max", 6f), 6, i -> null);
        assertThat(old).isEqualTo(Clip.relu6());
        try (Arena arena = Arena.ofConfined()) {
            Tensor lo = Tensor.fromLogical(arena, new float[] {-1}), hi = Tensor.fromLogical(arena, new float[] {1});
            Clip fromInputs = (Clip) OpRegistry.create("Clip", "c", new Attributes("c"), 13, i -> i == 1 ? lo : i == 2 ? hi : null);
            assertThat(fromInputs).isEqualTo(new Clip(-1, 1));
            Clip onlyMax = Clip.fromAttributes("c", new Attributes("c"), 13, i -> i == 2 ? hi : null);
            assertThat(onlyMax.min()).isEqualTo(Float.NEGATIVE_INFINITY);
        }
        float[] y = new OpRunner().input(new float[] {-3, 0.5f, 7, 6}, 4).run(Clip.relu6());
        assertThat(y).containsExactly(0, 0.5f, 6, 6);
    }

    @Test
    void clipBoundsFromRuntimeValuesAreRejected() {
        assertThatThrownBy(() -> new OpRunner().input(iota(4), 4).input(new float[] {0}).shape(new Clip(0, 1)))
                .isInstanceOf(ModelException.class).hasMessageContaining("constant");
    }

    @Test
    void unaryActivationsFollowTheirDefinitions() {
        float[] x = {-4, -1, 0, 2, 5};
        assertThat(new OpRunner().input(x, 5).run(Unary.relu())).containsExactly(0, 0, 0, 2, 5);
        assertThat(new OpRunner().input(x, 5).run(new Unary("HardSigmoid", 0.2f, 0.5f)))
                .containsExactly(new float[] {0f, 0.3f, 0.5f, 0.9f, 1f}, within(1e-6f));
        assertThat(new OpRunner().input(x, 5).run(new Unary("HardSwish", 0, 0)))
                .containsExactly(new float[] {0f, -1f / 3, 0f, 2f * 5 / 6, 5f}, within(1e-6f));
        assertThat(new OpRunner().input(new float[] {0}, 1).run(new Unary("Sigmoid", 0, 0))).containsExactly(0.5f);
    }

    @Test
    void batchNormNormalisesPerChannel() {
        float[] x = iota(8);
        float[] y = new OpRunner().input(x, 1, 2, 2, 2).constant(new float[] {2, 1}, 2).constant(new float[] {0, 1}, 2)
                .constant(new float[] {1, 5}, 2).constant(new float[] {4, 1}, 2).run(new BatchNorm(0));
        // channel 0: (x - 1) / 2 * 2 + 0 = x - 1; channel 1: (x - 5) / 1 * 1 + 1 = x - 4
        assertThat(y).containsExactly(new float[] {0, 1, 2, 3, 1, 2, 3, 4}, within(1e-6f));
        float[] flat = new OpRunner().input(new float[] {1, 5, 3, 7}, 2, 2).constant(new float[] {2, 1}, 2)
                .constant(new float[] {0, 1}, 2).constant(new float[] {1, 5}, 2).constant(new float[] {4, 1}, 2)
                .run(new BatchNorm(0));
        assertThat(flat).containsExactly(new float[] {0, 1, 2, 3}, within(1e-6f));
    }

    @Test
    void batchNormInTrainingModeIsRefused() {
        assertThatThrownBy(() -> BatchNorm.fromAttributes("bn", new Attributes("bn").put("training_mode", 1L)))
                .isInstanceOf(ModelException.class).hasMessageContaining("'bn'").hasMessageContaining("eval");
    }

    @Test
    void lrnMatchesTorchLocalResponseNorm() {
        // torch: F.local_response_norm(arange(1,11).reshape(1,5,1,2)/4, size=3, alpha=0.1, beta=0.75, k=2)
        float[] x = iota(10);
        for (int i = 0; i < x.length; i++) {
            x[i] /= 4;
        }
        float[] y = new OpRunner().input(x, 1, 5, 1, 2).run(new Lrn(3, 0.1f, 0.75f, 2f));
        assertThat(y).containsExactly(new float[] {0.14750005f, 0.29273951f, 0.43413508f, 0.56985015f, 0.69843775f,
            0.81877196f, 0.9300639f, 1.031852f, 1.216308f, 1.3206757f}, within(1e-5f));
    }
}
