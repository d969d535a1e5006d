package io.coedge.ops;

import static io.coedge.ops.OpRunner.iota;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coedge.graph.ModelException;
import org.junit.jupiter.api.Test;

class ShapeOpsTest {

    @Test
    void concatOnChannelsStacksFeatureMaps() {
        float[] y = new OpRunner().input(iota(4), 1, 1, 2, 2).input(new float[] {9, 9, 9, 9, 8, 8, 8, 8}, 1, 2, 2, 2)
                .run(new Concat(1));
        assertThat(y).containsExactly(1, 2, 3, 4, 9, 9, 9, 9, 8, 8, 8, 8);
    }

    @Test
    void concatOnOtherAxesIncludingNegative() {
        float[] rows = new OpRunner().input(iota(4), 2, 2).input(new float[] {5, 6}, 1, 2).run(new Concat(0));
        assertThat(rows).containsExactly(1, 2, 3, 4, 5, 6);
        float[] last = new OpRunner().input(iota(4), 2, 2).input(new float[] {5, 6}, 2, 1).run(new Concat(-1));
        assertThat(last).containsExactly(1, 2, 5, 3, 4, 6);
        float[] width = new OpRunner().input(iota(4), 1, 1, 2, 2).input(new float[] {5, 6}, 1, 1, 2, 1).run(new Concat(3));
        assertThat(width).containsExactly(1, 2, 5, 3, 4, 6);
    }

    @Test
    void concatRejectsMismatchedShapes() {
        assertThatThrownBy(() -> new OpRunner().input(iota(4), 1, 1, 2, 2).input(iota(6), 1, 1, 3, 2).shape(new Concat(1)))
                .isInstanceOf(ModelException.class).hasMessageContaining("outside the concat axis");
    }

    @Test
    void flattenOfAFeatureMapKeepsNchwOrder() {
        // The map is stored NHWC inside; Flatten must still produce C-major order.
        float[] y = new OpRunner().input(iota(12), 1, 3, 2, 2).run(new Flatten(1));
        assertThat(y).containsExactly(iota(12));
        assertThat(new OpRunner().input(iota(12), 1, 3, 2, 2).shape(new Flatten(2))).containsExactly(3, 4);
        assertThat(new OpRunner().input(iota(12), 1, 3, 2, 2).shape(new Flatten(0))).containsExactly(1, 12);
        assertThat(new OpRunner().input(iota(12), 1, 3, 2, 2).shape(new Flatten(-1))).containsExactly(6, 2);
    }

    @Test
    void reshapeCopiesZerosAndInfersMinusOne() {
        OpRunner r = new OpRunner().input(iota(24), 2, 3, 4).constant(new float[] {0, -1}, 2);
        assertThat(r.shape(new Reshape(false))).containsExactly(2, 12);
        float[] y = new OpRunner().input(iota(24), 2, 3, 4).constant(new float[] {4, 0, 2}, 3).run(new Reshape(false));
        assertThat(y).containsExactly(iota(24));
        assertThat(new OpRunner().input(iota(24), 2, 3, 4).constant(new float[] {4, 0, 2}, 3).shape(new Reshape(false)))
                .containsExactly(4, 3, 2);
    }

    @Test
    void reshapeToAFeatureMapAndBackKeepsLogicalOrder() {
        float[] y = new OpRunner().input(iota(12), 12).constant(new float[] {1, 3, 2, 2}, 4).run(new Reshape(false));
        assertThat(y).containsExactly(iota(12));
        float[] back = new OpRunner().input(iota(12), 1, 3, 2, 2).constant(new float[] {3, 4}, 2).run(new Reshape(false));
        assertThat(back).containsExactly(iota(12));
    }

    @Test
    void reshapeWithAllowZeroKeepsAZeroDimension() {
        assertThat(new OpRunner().input(new float[0], 0, 3).constant(new float[] {3, 0}, 2).shape(new Reshape(true)))
                .containsExactly(3, 0);
    }

    @Test
    void reshapeErrorsSayWhatIsWrong() {
        assertThatThrownBy(() -> new OpRunner().input(iota(6), 2, 3).constant(new float[] {4, -1}, 2).shape(new Reshape(false)))
                .isInstanceOf(ModelException.class).hasMessageContaining("cannot infer -1");
        assertThatThrownBy(() -> new OpRunner().input(iota(6), 2, 3).input(new float[] {6}, 1).shape(new Reshape(false)))
                .isInstanceOf(ModelException.class).hasMessageContaining("constant");
        assertThatThrownBy(() -> new OpRunner().input(iota(6), 2, 3).constant(new float[] {4, 2}, 2).shape(new Reshape(false)))
                .isInstanceOf(ModelException.class).hasMessageContaining("cannot reshape");
        long big = Integer.MAX_VALUE;
        assertThatThrownBy(() -> Reshape.targetShape(new int[] {2, 3}, new long[] {big, big, big}, false))
                .isInstanceOf(ModelException.class).hasMessageContaining("too large");
        assertThatThrownBy(() -> Reshape.targetShape(new int[] {2, 3}, new long[] {1L << 32, -1}, false))
                .isInstanceOf(ModelException.class).hasMessageContaining("invalid dimension");
    }
}
