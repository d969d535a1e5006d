package io.coedge.cli;

import static io.coedge.cli.RunCommandTest.assertUserError;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code coedge run --devices N --partition ... --sync ...} and {@code --strategy}: in this process. */
class SplitRunTest {
    @TempDir
    Path dir;

    @BeforeEach
    void register() {
        TestModels.register();
    }

    @AfterEach
    void unregister() {
        TestModels.unregister();
    }

    @Test
    void splitRunPrintsDevicesAndTheSameTop5AsOneDevice() {
        CliRunner one = CliRunner.runAsLauncher("run", "--model", TestModels.CLASSES, "--kernels", "reference");
        CliRunner split = CliRunner.runAsLauncher("run", "--model", TestModels.CLASSES, "--kernels", "reference",
                "--devices", "3", "--partition", "5,0,11", "--sync", "fused:2");
        assertThat(split.exitCode()).as(split.err()).isZero();
        assertThat(split.out()).contains("rows=dev0:5,dev1:0,dev2:11", "sync=fused:2", "accounting matches the geometry",
                "halo traffic:", "check:   same output as the one-device run (top-5 identical");
        assertThat(split.out()).containsPattern("(?m)^dev1\\s+0\\s+0\\s");
        assertThat(top5Lines(split.out())).isEqualTo(top5Lines(one.out())).isNotEmpty();
    }

    @Test
    void headSplitRunsTheFirstFullyConnectedLayerOnTheDevicesWithRowsAndGivesTheSameOutput() throws Exception {
        Path a = dir.resolve("whole.bin");
        Path b = dir.resolve("head.bin");
        CliRunner whole = CliRunner.runAsLauncher("run", "--model", "alexnet", "--devices", "3", "--partition", "0,100,124",
                "--output-raw", a.toString());
        CliRunner head = CliRunner.runAsLauncher("run", "--model", "alexnet", "--devices", "3", "--partition", "0,100,124",
                "--head-split", "--output-raw", b.toString());
        assertThat(whole.exitCode()).as(whole.err()).isZero();
        assertThat(head.exitCode()).as(head.err()).isZero();
        assertThat(head.out()).contains("head=split", "accounting matches the geometry", "check:   same output");
        assertThat(Files.readAllBytes(b)).isEqualTo(Files.readAllBytes(a));
    }

    @Test
    void noCheckSkipsTheReferenceRun() {
        CliRunner r = CliRunner.runAsLauncher("run", "--model", TestModels.MAP, "--devices", "2", "--no-check");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("map").doesNotContain("check:");
    }

    @Test
    void splitOutputRawEqualsTheOneDeviceOutputRaw() throws Exception {
        Path a = dir.resolve("one.bin");
        Path b = dir.resolve("split.bin");
        assertThat(CliRunner.runAsLauncher("run", "--model", TestModels.MAP, "--kernels", "reference", "--output-raw",
                a.toString()).exitCode()).isZero();
        CliRunner r = CliRunner.runAsLauncher("run", "--model", TestModels.MAP, "--kernels", "reference", "--devices", "4",
                "--partition", "random:3", "--output-raw", b.toString(), "--repeat", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        float[] x = RunCommandTest.floats(Files.readAllBytes(a));
        float[] y = RunCommandTest.floats(Files.readAllBytes(b));
        assertThat(y).hasSameSizeAs(x);
        for (int i = 0; i < x.length; i++) {
            assertThat(Math.abs(x[i] - y[i])).isLessThanOrEqualTo(1e-5f * Math.max(1f, Math.abs(x[i])));
        }
        assertThat(r.out()).contains("over 2 runs");
    }

    @Test
    void rowsNotSummingToTheHeightAreRefused() {
        assertUserError(CliRunner.runAsLauncher("run", "--model", TestModels.CLASSES, "--devices", "2", "--partition", "8,9"),
                "sum to 17", "16 rows");
    }

    @Test
    void negativeRowsAreRefused() {
        assertUserError(CliRunner.runAsLauncher("run", "--model", TestModels.CLASSES, "--devices", "2", "--partition", "-1,17"),
                "negative row count");
    }

    @Test
    void wrongNumberOfRowCountsIsRefused() {
        assertUserError(CliRunner.runAsLauncher("run", "--model", TestModels.CLASSES, "--devices", "3", "--partition", "8,8"),
                "2 row counts for 3 devices");
    }

    @Test
    void unknownTailDeviceIsRefused() {
        assertUserError(CliRunner.runAsLauncher("run", "--model", TestModels.CLASSES, "--devices", "2", "--tail", "dev9"),
                "unknown device 'dev9'", "[dev0, dev1]");
    }

    @Test
    void badSyncIsRefused() {
        assertUserError(CliRunner.runAsLauncher("run", "--model", TestModels.CLASSES, "--devices", "2", "--sync", "fused"),
                "fused:K");
    }

    @Test
    void partitionWithoutDevicesSaysWhatIsMissing() {
        assertUserError(CliRunner.runAsLauncher("run", "--model", TestModels.CLASSES, "--partition", "equal"),
                "--devices N, --cluster FILE or --local-workers N");
    }

    @Test
    void clusterAndLocalWorkersTogetherAreRefused() {
        assertUserError(CliRunner.runAsLauncher("run", "--model", TestModels.CLASSES, "--local-workers", "2", "--cluster",
                dir.resolve("c").toString()), "not both");
    }

    @Test
    void strategyRunsThePlannersPlanAndPrintsThePrediction() {
        CliRunner r = CliRunner.runAsLauncher("run", "--model", "resnet18", "--devices", "2", "--strategy", "equal",
                "--deadline", "10s", "--no-check");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("planner: strategy equal, deadline", "rows=dev0:112,dev1:112",
                "planner (equal): predicted").containsPattern("measured median [0-9.]+ ms");
    }

    @Test
    void strategyTakesDeviceNamesFromTheProfiles() {
        CliRunner r = CliRunner.runAsLauncher("run", "--model", "resnet18", "--strategy", "latency", "--deadline", "10s",
                "--devices-profile", "rpi4b,jetson-nano", "--no-check");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("tail=rpi4b", "jetson-nano");
    }

    @Test
    void impossibleDeadlineSaysWhatTheLatencyMinimalPlanAchieves() {
        assertUserError(CliRunner.runAsLauncher("run", "--model", "resnet18", "--devices", "2", "--strategy", "coedge",
                "--deadline", "1ms"), "deadline 1.00 ms cannot be met", "latency-minimal plan", "--deadline");
    }

    @Test
    void profileCountMustMatchTheDevices() {
        assertUserError(CliRunner.runAsLauncher("run", "--model", "resnet18", "--devices", "3", "--strategy", "coedge",
                "--deadline", "1s", "--devices-profile", "rpi4b,rpi4b"), "describes 2 devices", "has 3");
    }

    @Test
    void unknownStrategyAndPresetAreRefused() {
        assertUserError(CliRunner.runAsLauncher("run", "--model", "resnet18", "--devices", "2", "--strategy", "fastest",
                "--deadline", "1s"), "unknown --strategy 'fastest'", "coedge");
        assertUserError(CliRunner.runAsLauncher("run", "--model", "resnet18", "--strategy", "coedge",
                "--deadline", "1s", "--devices-profile", "rpi9"), "unknown device preset 'rpi9'");
    }

    @Test
    void strategyNeedsADeadline() {
        assertUserError(CliRunner.runAsLauncher("run", "--model", TestModels.CLASSES, "--devices", "2", "--strategy",
                "coedge"), "--strategy needs --deadline");
    }

    static java.util.List<String> top5Lines(String out) {
        return out.lines().filter(l -> l.matches("\\s+[1-5]\\s+\\d+\\s+.*")).map(l -> l.trim().split("\\s+")[1]).toList();
    }
}
