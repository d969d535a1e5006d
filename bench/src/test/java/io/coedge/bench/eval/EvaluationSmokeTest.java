package io.coedge.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluation harness end to end in its smoke mode: two workers with different CPU quotas and bandwidth caps
 * in the testbed, AlexNet, the CoEdge strategy, a couple of runs. Needs root, network namespaces and the cgroup
 * v1 cpu controller; skips with the reason otherwise.
 */
@Tag("testbed")
class EvaluationSmokeTest {
    @TempDir
    Path out;

    @Test
    void smokeRunMeasuresThePlannersPlanOnTheTestbedAndLeavesNothingBehind() throws Exception {
        String why = Testbed.unavailableReason();
        assumeTrue(why == null, () -> "testbed evaluation skipped: " + why);
        assumeTrue(Testbed.awaitFree(120), "testbed evaluation skipped: another evaluation's testbed stayed up on this machine for 2 minutes");

        int code = Evaluation.launch(new String[] {"--smoke", "--out", out.toString()});

        assertThat(code).as("coordinator exit code").isZero();
        List<String> csv = Files.readAllLines(out.resolve("evaluation.csv"));
        assertThat(csv).hasSize(2);
        String[] f = csv.get(1).split(",");
        assertThat(f[0]).isEqualTo("alexnet");
        assertThat(f[1]).isEqualTo("coedge");
        assertThat(Double.parseDouble(f[5])).as("predicted ms").isPositive();
        assertThat(Double.parseDouble(f[7])).as("measured ms").isPositive();
        assertThat(Double.parseDouble(f[12])).as("energy at measured times").isPositive();
        List<String> cal = Files.readAllLines(out.resolve("calibration.csv"));
        assertThat(cal).hasSize(4); // header, initiator, two workers
        for (String line : cal.subList(1, cal.size())) {
            assertThat(Double.parseDouble(line.split(",")[5])).as("measured GFLOP/s of " + line).isPositive();
        }
        assertThat(Files.readString(out.resolve("evaluation-tables.md"))).contains("| alexnet | coedge |");
        assertThat(Testbed.busy()).as("testbed namespaces left behind").isFalse();
        assertThat(Files.exists(Testbed.INITIATOR_CGROUP)).as("initiator cgroup left behind").isFalse();
        assertThat(Files.exists(Testbed.NET_CGROUP)).as("driver threads' cgroup left behind").isFalse();
        assertThat(Files.exists(Testbed.JIT_CGROUP)).as("compiler threads' cgroup left behind").isFalse();
    }
}
