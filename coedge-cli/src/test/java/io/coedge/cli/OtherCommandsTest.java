package io.coedge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OtherCommandsTest {
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
    void inspectPrintsTheGraphSummary() {
        CliRunner r = CliRunner.run("inspect", TestModels.CLASSES);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("model tiny-classes").contains(TestModels.classes().summary());
    }

    @Test
    void inspectOfAnUnknownModelIsAUserError() {
        CliRunner r = CliRunner.run("inspect", "lenet");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("coedge: error: unknown model 'lenet'");
    }

    @Test
    void infoPrintsJavaCoresProvidersAndFlags() {
        CliRunner r = CliRunner.run("info");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("java:      " + Runtime.version())
                .contains("cores:     " + Runtime.getRuntime().availableProcessors())
                .contains("kernel selection (auto): ").contains("reference").contains("cpu flags: ")
                .contains("C kernels: ").contains("OpenBLAS:  ").contains("Vector API: ").contains("threads:   ");
    }

    @Test
    void cpuFeaturesAreReadFromTheFlagsLine() throws Exception {
        Path x86 = Files.writeString(dir.resolve("x86"), "processor\t: 0\nflags\t\t: fpu sse4_2 avx avx2 fma avx512f\n");
        assertThat(InfoCommand.cpuFeatures(x86)).isEqualTo("sse4_2 avx avx2 fma avx512f");
        Path arm = Files.writeString(dir.resolve("arm"), "processor\t: 0\nFeatures\t: fp asimd evtstrm crc32\n");
        assertThat(InfoCommand.cpuFeatures(arm)).isEqualTo("asimd");
        assertThat(InfoCommand.cpuFeatures(dir.resolve("missing"))).startsWith("unknown");
    }

    @Test
    void demoRunsAModelOnTheSampleImageWithTopFiveAndLatency() {
        CliRunner r = CliRunner.run("demo", "--local", "--model", TestModels.CLASSES, "--repeat", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("CoEdge demo: tiny-classes on one device").contains("class scores")
                .contains("latency: median");
    }

    @Test
    void everyCommandHasHelp() {
        for (String c : new String[] {"run", "inspect", "info", "demo"}) {
            CliRunner r = CliRunner.run(c, "--help");
            assertThat(r.exitCode()).as(c).isZero();
            assertThat(r.out()).contains("Usage: coedge " + c).contains("--help");
        }
        assertThat(CliRunner.run("run", "--help").out()).contains("--model=MODEL").contains("--input-raw=IN.bin")
                .contains("--kernels=").contains("--repeat=K");
    }

    @Test
    void bareCommandPrintsUsageAndExitsWithTwo() {
        CliRunner r = CliRunner.run();
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Usage: coedge").contains("run").contains("demo");
    }
}
