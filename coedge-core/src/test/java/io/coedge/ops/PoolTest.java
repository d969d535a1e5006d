package io.coedge.ops;

import static io.coedge.ops.OpRunner.iota;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** Expected values were computed by hand or with torch.nn.functional (noted per test). */
class PoolTest {
    private static final Offset<Float> EPS = within(1e-5f);

    private static Pool pool(String type, int k, int s, int d, Pads pads, boolean ceil, boolean include) {
        return new Pool(type, k, k, s, s, d, d, "NOTSET", pads, ceil, include);
    }

    @Test
    void maxPoolTakesTheMaximumOfEachWindow() {
        float[] y = new OpRunner().input(iota(16), 1, 1, 4, 4).run(Pool.max(2, 2, 0, false));
        assertThat(y).containsExactly(6, 8, 14, 16);
    }

    @Test
    void maxPoolCeilModeAddsAPartialLastWindow() {
        // torch: F.max_pool2d(arange(1,26).reshape(1,1,5,5), 2, 2, ceil_mode=True)
        OpRunner r = new OpRunner().input(iota(25), 1, 1, 5, 5);
        assertThat(r.shape(Pool.max(2, 2, 0, true))).containsExactly(1, 1, 3, 3);
        assertThat(new OpRunner().input(iota(25), 1, 1, 5, 5).run(Pool.max(2, 2, 0, true)))
                .containsExactly(7, 9, 10, 17, 19, 20, 22, 24, 25);
        assertThat(new OpRunner().input(iota(25), 1, 1, 5, 5).shape(Pool.max(2, 2, 0, false))).containsExactly(1, 1, 2, 2);
    }

    @Test
    void dilatedMaxPoolSkipsInputs() {
        // torch: F.max_pool2d(arange(1,26).reshape(1,1,5,5), 3, 1, 1, dilation=2)
        float[] y = new OpRunner().input(iota(25), 1, 1, 5, 5).run(pool("MaxPool", 3, 1, 2, Pads.uniform(1), false, false));
        assertThat(y).containsExactly(19, 20, 19, 24, 25, 24, 19, 20, 19);
    }

    @Test
    void asymmetricPadsPadOnlyTheNamedSides() {
        // [[1,2],[3,4]] padded at the bottom and right only, 2x2 windows with stride 1.
        Pads bottomRight = new Pads(0, 0, 1, 1);
        float[] max = new OpRunner().input(iota(4), 1, 1, 2, 2).run(pool("MaxPool", 2, 1, 1, bottomRight, false, false));
        assertThat(max).containsExactly(4, 4, 4, 4);
        float[] avg = new OpRunner().input(iota(4), 1, 1, 2, 2).run(pool("AveragePool", 2, 1, 1, bottomRight, false, false));
        assertThat(avg).containsExactly(2.5f, 3f, 3.5f, 4f);
        float[] avgIncl = new OpRunner().input(iota(4), 1, 1, 2, 2).run(pool("AveragePool", 2, 1, 1, bottomRight, false, true));
        assertThat(avgIncl).containsExactly(2.5f, 1.5f, 1.75f, 1f);
    }

    @Test
    void averagePoolCountIncludePadWithCeilModeCountsOnlyThePaddedInput() {
        // torch: F.avg_pool2d(arange(1,17).reshape(1,1,4,4), 3, 2, 1, ceil_mode=True, count_include_pad=...)
        float[] incl = new OpRunner().input(iota(16), 1, 1, 4, 4).run(Pool.average(3, 2, 1, true, true));
        assertThat(incl).containsExactly(new float[] {1.5555556f, 3.3333333f, 2f, 6.3333335f, 11f, 6f, 4.5f, 7.5f, 4f}, EPS);
        float[] excl = new OpRunner().input(iota(16), 1, 1, 4, 4).run(Pool.average(3, 2, 1, true, false));
        assertThat(excl).containsExactly(new float[] {3.5f, 5f, 6f, 9.5f, 11f, 12f, 13.5f, 15f, 16f}, EPS);
    }

    @Test
    void sameUpperAutoPadKeepsTheSizeOverTheStride() {
        Pool p = new Pool("MaxPool", 3, 3, 2, 2, 1, 1, "SAME_UPPER", null, false, false);
        assertThat(new OpRunner().input(iota(49), 1, 1, 7, 7).shape(p)).containsExactly(1, 1, 4, 4);
        // SAME_UPPER on 7 with k3 s2: total pad 2, split 1/1; SAME_LOWER on 6 with k2 s2: none.
        Pool lower = new Pool("AveragePool", 2, 2, 1, 1, 1, 1, "SAME_LOWER", null, false, false);
        // k2 s1 on 2: total pad 1, SAME_LOWER puts it at the top/left.
        assertThat(new OpRunner().input(iota(4), 1, 1, 2, 2).run(lower)).containsExactly(1f, 1.5f, 2f, 2.5f);
    }

    @Test
    void globalAveragePoolAveragesEachChannel() {
        float[] y = new OpRunner().input(iota(8), 1, 2, 2, 2).run(GlobalPool.average());
        assertThat(y).containsExactly(2.5f, 6.5f);
        float[] m = new OpRunner().input(iota(8), 1, 2, 2, 2).run(new GlobalPool("GlobalMaxPool"));
        assertThat(m).containsExactly(4f, 8f);
    }

    @Test
    void batchedInputPoolsEveryImage() {
        float[] y = new OpRunner().input(iota(32), 2, 1, 4, 4).run(Pool.max(2, 2, 0, false));
        assertThat(y).containsExactly(6, 8, 14, 16, 22, 24, 30, 32);
    }
}
