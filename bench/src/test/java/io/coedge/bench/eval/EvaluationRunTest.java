package io.coedge.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
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
}
