package io.coedge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCommandTest {
    @BeforeAll
    static void models() {
        TestModels.register();
    }

    @AfterAll
    static void cleanup() {
        TestModels.unregister();
    }

    @Test
    void printsEveryStrategySideBySide() {
        CliRunner r = CliRunner.run("plan", "--model", TestModels.MAP, "--devices", "rpi4b,jetson-nano", "--deadline", "250ms");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("rpi4b").contains("jetson-nano").contains("latency ms");
        for (String s : new String[] {"coedge", "local", "equal", "proportional", "latency"}) {
            assertThat(r.out()).containsPattern("(?m)^" + s + " ");
        }
    }

    @Test
    void jsonAndSvgForScripts(@TempDir Path dir) throws Exception {
        Path svg = dir.resolve("plan.svg");
        CliRunner r = CliRunner.run("plan", "--model", TestModels.MAP, "--devices", "rpi4b,rpi3b+", "--deadline", "1s",
                "--objective", "latency", "--json", "--svg", svg.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out().trim()).startsWith("{\"model\":\"tiny-map\",\"deadlineMs\":1000,\"strategies\":[{\"name\":\"coedge\"")
                .contains("\"rows\":{\"rpi4b\":").endsWith("]}");
        assertThat(Files.readString(svg)).startsWith("<svg");
    }

    @Test
    void badArgumentsAreOneClearError() {
        CliRunner r = CliRunner.runAsLauncher("plan", "--model", TestModels.MAP, "--devices", "rpi9", "--deadline", "250ms");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("unknown device preset 'rpi9'");
        r = CliRunner.runAsLauncher("plan", "--model", TestModels.MAP, "--devices", "rpi4b", "--deadline", "soon");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("deadline");
    }

    @Test
    void profileWritesADeviceFileThatPlanAccepts(@TempDir Path dir) {
        Path f = dir.resolve("me.yaml");
        CliRunner p = CliRunner.run("profile", "--quick", "--name", "me", "--out", f.toString());
        assertThat(p.exitCode()).as(p.err()).isZero();
        assertThat(p.out()).contains("conv3x3").contains("GFLOP/s");
        CliRunner r = CliRunner.run("plan", "--model", TestModels.MAP, "--devices", f.toString(), "--deadline", "1s", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"rows\":{\"me\":");
    }
}
