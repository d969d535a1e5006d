package io.coedge.cli;

import static io.coedge.cli.RunCommandTest.assertUserError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class CooperativeDemoTest {
    @Test
    void rowsFollowTheCapsAndCoverTheMapOnce() {
        assertThat(CooperativeDemo.proportionalRows(new double[] {1, 0.5}, 224)).containsExactly(149, 75);
        assertThat(CooperativeDemo.proportionalRows(new double[] {1, 1, 1}, 10)).containsExactly(4, 3, 3);
        assertThat(CooperativeDemo.proportionalRows(new double[] {0.25}, 7)).containsExactly(7);
    }

    @Test
    void defaultCapsDifferPerWorker() {
        assertThat(CooperativeDemo.defaultCaps(3)).containsExactly(1.0, 0.5, 1.0 / 3);
    }

    @Test
    void quotasStayAboveTheKernelsMinimum() {
        assertThat(CpuCaps.periodUs(0.5)).isEqualTo(10_000);
        assertThat(CpuCaps.periodUs(0.05)).isEqualTo(20_000);
        assertThat(CpuCaps.periodUs(0.01)).isEqualTo(100_000);
        assertThat(CpuCaps.periodUs(0.03) * 0.03).isGreaterThanOrEqualTo(CpuCaps.MIN_QUOTA_US);
    }

    @Test
    void badCapsAreRefused() {
        assertThatThrownBy(() -> CooperativeDemo.parseCaps("1,fast")).hasMessageContaining("'fast' is not a number");
        assertThatThrownBy(() -> CooperativeDemo.parseCaps("0")).hasMessageContaining("between 0.01 and 64");
        assertThatThrownBy(() -> CooperativeDemo.parseCaps("1,1,1,1,1")).hasMessageContaining("1 to 4 workers");
        assertThat(CooperativeDemo.parseCaps("1, 0.5")).containsExactly(1.0, 0.5);
    }

    @Test
    void nonZooModelsPointToTheOtherCommands() {
        TestModels.register();
        try {
            assertUserError(CliRunner.runAsLauncher("demo", "--model", TestModels.CLASSES), "zoo models", "--local");
        } finally {
            TestModels.unregister();
        }
    }

    /** The whole demo: two workers, VGG-16, one timed run each; about 25-40 s here. */
    @Test
    @Tag("multiprocess")
    void demoSplitsAcrossWorkersGivesTheOneDeviceTop5AndStopsThem() {
        CliRunner r = CliRunner.runAsLauncher("demo", "--repeat", "1", "--warmup", "0");
        assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("rows=local:0,worker1:149,worker2:75", "who computed which rows", "halo traffic",
                "alone (one device", "top-5 identical", "the split answer is the same as one device's", "stopped 2 workers");
        assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive)).isEmpty();
        if (CpuCaps.available()) {
            assertThat(r.out()).contains("worker2 0.50 cores (cgroup v1 cpu quota)");
            assertThat(CpuCaps.CPU_ROOT.resolve("coedge-demo-" + ProcessHandle.current().pid())).doesNotExist();
        }
    }
}
