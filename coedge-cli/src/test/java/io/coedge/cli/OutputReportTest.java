package io.coedge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class OutputReportTest {
    @Test
    void topKIsLargestFirstWithTiesByIndex() {
        assertThat(OutputReport.topK(new float[] {1, 5, 3, 5, -2, 4}, 4)).containsExactly(1, 3, 5, 2);
        assertThat(OutputReport.topK(new float[] {2, 1}, 5)).containsExactly(0, 1);
    }

    @Test
    void softmaxSumsToOneAndSurvivesLargeLogits() {
        double[] p = OutputReport.softmax(new float[] {1000, 1000, 999});
        assertThat(Arrays.stream(p).sum()).isCloseTo(1.0, within(1e-12));
        assertThat(p[0]).isCloseTo(p[1], within(1e-12)).isGreaterThan(p[2]);
    }

    @Test
    void classVectorsHaveOneDimensionAboveOne() {
        assertThat(OutputReport.isClassVector(new int[] {1, 1000})).isTrue();
        assertThat(OutputReport.isClassVector(new int[] {1, 1000, 1, 1})).isTrue();
        assertThat(OutputReport.isClassVector(new int[] {1, 21, 64, 64})).isFalse();
        assertThat(OutputReport.isClassVector(new int[] {1, 1})).isFalse();
        assertThat(OutputReport.isClassVector(new int[] {4, 1000})).isTrue();
        assertThat(OutputReport.isClassVector(new int[] {10})).isTrue();
    }

    @Test
    void batchedClassScoresGetATopFivePerItem() {
        java.io.StringWriter sw = new java.io.StringWriter();
        float[] v = {0, 9, 1, 2, 3, 4, 5, 6, 7, 8, /* item 1 */ 9, 0, 1, 2, 3, 4, 5, 6, 7, 8};
        io.coedge.graph.Graph g = TestModels.classes();
        OutputReport.print(new java.io.PrintWriter(sw, true), g, "fc", new int[] {2, 10}, v);
        assertThat(sw.toString()).contains("2x10 class scores (logits").contains("batch item 0").contains("batch item 1")
                .containsPattern("batch item 0\\R.*\\R\\s+1\\s+1\\s+9\\.0+")
                .containsPattern("batch item 1\\R.*\\R\\s+1\\s+0\\s+9\\.0+");
    }

    @Test
    void medianAndP90UseNearestRank() {
        long[] ns = {5_000_000, 1_000_000, 3_000_000, 2_000_000, 4_000_000, 10_000_000, 6_000_000, 7_000_000,
            8_000_000, 9_000_000};
        double[] mp = Inference.medianAndP90Ms(ns);
        assertThat(mp[0]).isEqualTo(5.5);
        assertThat(mp[1]).isEqualTo(9.0);
    }
}
