package io.coedge.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvaluationRunTest {
    @Test
    void proportionalRowsCoverTheMapInTheRatesProportionWithARowEachAtLeast() {
        assertThat(EvaluationRun.proportionalRows(new double[] {2, 1, 1}, 224)).containsExactly(112, 56, 56);
        assertThat(EvaluationRun.proportionalRows(new double[] {98.8, 76.8, 67.2}, 224)).containsExactly(91, 71, 62);
        int[] tiny = EvaluationRun.proportionalRows(new double[] {1000, 1, 1}, 10);
        assertThat(Arrays.stream(tiny).sum()).isEqualTo(10);
        assertThat(tiny).containsExactly(8, 1, 1);
    }

    @Test
    void pooledPassesGiveTheMedianOfAllTheirRunsSoOneSlowPassDoesNotSetIt() {
        var fast1 = new EvaluationRun.Samples(new double[] {20, 21, 22}, Map.of("w1", new double[] {5, 5, 6}),
                Map.of("w1", new double[] {100, 100, 100}));
        var slow = new EvaluationRun.Samples(new double[] {30, 31, 32}, Map.of("w1", new double[] {9, 9, 9}),
                Map.of("w1", new double[] {100, 100, 100}));
        var fast2 = new EvaluationRun.Samples(new double[] {21, 22, 23}, Map.of(), Map.of());

        assertThat(slow.timing().medianMs()).isEqualTo(31);
        EvaluationRun.Timing pooled = EvaluationRun.Samples.pool(List.of(fast1, slow, fast2)).timing();

        assertThat(pooled.medianMs()).isEqualTo(22);
        assertThat(pooled.minMs()).isEqualTo(20);
        assertThat(pooled.maxMs()).isEqualTo(32);
        // the device missing from one pass's counters keeps the six runs it has: median of 5, 5, 6, 9, 9, 9
        assertThat(pooled.computeNs()).containsEntry("w1", 7.5);
        assertThat(pooled.flops()).containsEntry("w1", 100.0);
    }

    @Test
    void theMultiWorkerSplitsAreTheFirstThreeDevicesByRateAndAllFourHalfwayBetweenEqualAndByRate() {
        var splits = EvaluationRun.multiWorkerSplits(new double[] {2, 1, 1, 1}, 224);
        assertThat(splits).hasSize(2);
        assertThat(splits.get(0)).containsExactly(112, 56, 56);
        // equal 56 each, by rate 89.6/44.8/44.8/44.8: halfway 72.8/50.4/50.4/50.4
        assertThat(splits.get(1)).containsExactly(73, 51, 50, 50);
        assertThat(Arrays.stream(splits.get(1)).sum()).isEqualTo(224);
        assertThat(EvaluationRun.multiWorkerSplits(new double[] {2, 1, 1}, 224)).hasSize(1);
        assertThat(EvaluationRun.multiWorkerSplits(new double[] {2, 1}, 224)).isEmpty();
    }

    @Test
    void theExtraWorkerCostFitsBothSplitsByRelativeErrorAndIsNeverNegative() {
        // one split: exactly its gap
        assertThat(EvaluationRun.extraWorkerFit(new int[] {1}, new double[] {0.050}, new double[] {0.040}))
                .isCloseTo(0.010, org.assertj.core.data.Offset.offset(1e-12));
        // the three-device split 10 ms under, the four-device one (pays it twice) 5 ms under: between 2.5 and 10 ms,
        // nearer the shorter split's 10 (a millisecond is more of its latency)
        double x = EvaluationRun.extraWorkerFit(new int[] {1, 2}, new double[] {0.050, 0.090}, new double[] {0.040, 0.085});
        double expected = (1 / 0.0025 * 0.010 + 1 / 0.0081 * 2 * 0.005) / (1 / 0.0025 + 1 / 0.0081 * 4);
        assertThat(x).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-12)).isBetween(0.0025, 0.010);
        // over-predicted splits: no negative cost
        assertThat(EvaluationRun.extraWorkerFit(new int[] {1, 2}, new double[] {0.030, 0.060}, new double[] {0.040, 0.085}))
                .isZero();
    }
}
