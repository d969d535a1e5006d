package io.coedge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.ModelException;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
    @TempDir
    Path dir;

    @BeforeEach
    void register() {
        TestModels.register();
    }

    @AfterEach
    void unregister() {
        TestModels.unregister();
        ModelSource.EXTRA.remove("broken");
        ModelSource.EXTRA.remove("buggy");
    }

    static void assertNoStackTrace(CliRunner r) {
        assertThat(r.err()).doesNotContain("\tat ").doesNotContainPattern("(?m)^[\\w.$]+\\.\\w*(Exception|Error)\\b");
    }

    static void assertUserError(CliRunner r, String... fragments) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).startsWith("coedge: error: ");
        assertThat(r.err().strip().lines()).hasSize(1);
        for (String f : fragments) {
            assertThat(r.err()).contains(f);
        }
        assertNoStackTrace(r);
    }

    static byte[] floats(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    static float[] floats(byte[] bytes) {
        float[] v = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    @Test
    void classVectorOutputPrintsTopFiveWithLogitsAndProbabilitiesAndLatency() {
        CliRunner r = CliRunner.run("run", "--model", TestModels.CLASSES);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("bundled sample image").contains("1x10x1x1 class scores (logits")
                .contains("rank  class        logit  probability").contains("latency: ");
        assertThat(r.out().lines().filter(l -> l.matches("\\s+[1-5]\\s+\\d+\\s+-?\\d+\\.\\d+\\s+\\d\\.\\d+"))).hasSize(5);
    }

    @Test
    void mapOutputPrintsShapeAndMinMaxMean() {
        CliRunner r = CliRunner.run("run", "--model", TestModels.MAP);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("output relu1: 1x4x16x16 map, min 0\\.000000, max \\d+\\.\\d+, mean \\d+\\.\\d+");
    }

    @Test
    void rawInputAndOutputRoundTripMatchesTheReferenceExecutor() throws Exception {
        float[] x = TestModels.random(3 * 16 * 16, 11);
        Path in = Files.write(dir.resolve("in.bin"), floats(x));
        Path out = dir.resolve("out.bin");
        CliRunner r = CliRunner.run("run", "--model", TestModels.CLASSES, "--input-raw", in.toString(),
                "--output-raw", out.toString(), "--kernels", "reference");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("wrote " + out + " (40 bytes");
        float[] got = floats(Files.readAllBytes(out));
        Graph g = TestModels.classes();
        try (Arena arena = Arena.ofConfined()) {
            float[] expect = Executor.reference(g).run(arena, Tensor.fromLogical(arena, x, 1, 3, 16, 16)).toLogicalArray();
            assertThat(got).hasSize(10);
            for (int i = 0; i < expect.length; i++) {
                assertThat(got[i]).isCloseTo(expect[i], within(0f));
            }
        }
    }

    @Test
    void everyAvailableKernelProviderGivesTheReferenceOutput() throws Exception {
        float[] x = TestModels.random(3 * 16 * 16, 12);
        Path in = Files.write(dir.resolve("in.bin"), floats(x));
        Path ref = dir.resolve("ref.bin");
        assertThat(CliRunner.run("run", "--model", TestModels.CLASSES, "--input-raw", in.toString(), "--output-raw",
                ref.toString(), "--kernels", "reference").exitCode()).isZero();
        float[] expect = floats(Files.readAllBytes(ref));
        float maxRef = 0;
        for (float v : expect) {
            maxRef = Math.max(maxRef, Math.abs(v));
        }
        int tried = 0;
        for (String k : new String[] {"native", "vector", "auto"}) {
            try {
                if (Executor.providers(k).isEmpty()) {
                    continue;
                }
            } catch (IllegalArgumentException unavailable) {
                continue;
            }
            Path out = dir.resolve(k + ".bin");
            CliRunner r = CliRunner.run("run", "--model", TestModels.CLASSES, "--input-raw", in.toString(),
                    "--output-raw", out.toString(), "--kernels", k);
            assertThat(r.exitCode()).as(k + ": " + r.err()).isZero();
            float[] got = floats(Files.readAllBytes(out));
            for (int i = 0; i < expect.length; i++) {
                assertThat(got[i]).as("%s output %d", k, i).isCloseTo(expect[i], within(1e-5f * maxRef));
            }
            tried++;
        }
        System.out.println("kernel providers compared with the reference through the CLI: " + tried);
    }

    @Test
    void imageInputIsDecodedAndRun() throws Exception {
        Path png = dir.resolve("copy.png");
        try (var s = ImagePreprocessor.class.getResourceAsStream(ImagePreprocessor.SAMPLE)) {
            Files.copy(s, png);
        }
        CliRunner r = CliRunner.run("run", "--model", TestModels.CLASSES, "--input", png.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains(png + " (320x240, ImageNet preprocessing) -> 1x3x16x16");
    }

    @Test
    void repeatPrintsMedianAndP90() {
        CliRunner r = CliRunner.run("run", "--model", TestModels.CLASSES, "--repeat", "4");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("latency: median [0-9.]+ ms, p90 [0-9.]+ ms, min [0-9.]+ ms over 4 runs after 1 warm-up run");
    }

    @Test
    void rawInputOfTheWrongSizeSaysExpectedAndActualBytes() throws Exception {
        Path in = Files.write(dir.resolve("short.bin"), new byte[100]);
        assertUserError(CliRunner.run("run", "--model", TestModels.CLASSES, "--input-raw", in.toString()),
                "has 100 bytes", "1x3x16x16", "needs 3072 bytes");
    }

    @Test
    void missingRawInputIsAUserError() {
        assertUserError(CliRunner.run("run", "--model", TestModels.CLASSES, "--input-raw", dir.resolve("nope.bin").toString()),
                "not found", "nope.bin");
    }

    @Test
    void unknownModelNameListsTheKnownOnes() {
        assertUserError(CliRunner.run("run", "--model", "resnet19"), "unknown model 'resnet19'", "resnet18", ".onnx");
    }

    @Test
    void missingModelFileIsAUserError() {
        assertUserError(CliRunner.run("run", "--model", dir.resolve("absent.onnx").toString()),
                "model file not found", "absent.onnx");
    }

    @Test
    void missingImageIsAUserError() {
        assertUserError(CliRunner.run("run", "--model", TestModels.CLASSES, "--input", dir.resolve("cat.png").toString()),
                "image file not found", "cat.png");
    }

    @Test
    void unreadableImageIsAUserError() throws Exception {
        Path fake = Files.writeString(dir.resolve("fake.png"), "this is not a picture");
        assertUserError(CliRunner.run("run", "--model", TestModels.CLASSES, "--input", fake.toString()),
                "cannot decode image", "fake.png");
    }

    @Test
    void truncatedPngIsAUserError() throws Exception {
        byte[] png;
        try (var s = ImagePreprocessor.class.getResourceAsStream(ImagePreprocessor.SAMPLE)) {
            png = s.readAllBytes();
        }
        Path cut = Files.write(dir.resolve("cut.png"), java.util.Arrays.copyOf(png, png.length / 3));
        assertUserError(CliRunner.run("run", "--model", TestModels.CLASSES, "--input", cut.toString()),
                "cannot decode image", "cut.png");
    }

    @Test
    void imageAndRawInputTogetherAreRefused() throws Exception {
        Path in = Files.write(dir.resolve("in.bin"), new byte[4]);
        assertUserError(CliRunner.run("run", "--model", TestModels.CLASSES, "--input", "a.png", "--input-raw", in.toString()),
                "either --input or --input-raw");
    }

    @Test
    void modelExceptionFromLoadingIsShownAsIs() {
        ModelSource.EXTRA.put("broken", () -> {
            throw new ModelException("node 'conv7' (Conv): weight expects 64 input channels, input has 3");
        });
        assertUserError(CliRunner.run("run", "--model", "broken"),
                "coedge: error: node 'conv7' (Conv): weight expects 64 input channels, input has 3");
    }

    @Test
    void unknownKernelProviderIsAUserError() {
        assertUserError(CliRunner.run("run", "--model", TestModels.CLASSES, "--kernels", "gpu"), "unknown --kernels 'gpu'");
    }

    @Test
    void unavailableKernelProviderIsAUserError() {
        // Providers register through ServiceLoader; whichever is missing here must be refused with a
        // message, the others must run.
        for (String k : new String[] {"native", "vector"}) {
            boolean present;
            try {
                present = !Executor.providers(k).isEmpty();
            } catch (IllegalArgumentException e) {
                present = false;
            }
            CliRunner r = CliRunner.run("run", "--model", TestModels.CLASSES, "--kernels", k);
            if (present) {
                assertThat(r.exitCode()).as(r.err()).isZero();
            } else {
                assertUserError(r, "kernel provider '" + k + "'");
            }
        }
    }

    @Test
    void malformedInputShapeIsAUserError() {
        assertUserError(CliRunner.run("run", "--model", TestModels.CLASSES, "--input-shape", "1x3xbig"), "bad shape '1x3xbig'");
        assertUserError(CliRunner.run("run", "--model", TestModels.CLASSES, "--input-shape", "3x224x224"), "four dimensions");
    }

    @Test
    void inputShapeDifferentFromAFixedModelIsRefused() {
        assertUserError(CliRunner.run("run", "--model", TestModels.CLASSES, "--input-shape", "1x3x32x32"),
                "takes input 1x3x16x16");
    }

    @Test
    void nonPositiveRepeatIsAUserError() {
        assertUserError(CliRunner.run("run", "--model", TestModels.CLASSES, "--repeat", "0"), "--repeat must be at least 1");
        assertUserError(CliRunner.run("run", "--model", TestModels.CLASSES, "--threads", "0"), "--threads must be at least 1");
    }

    @Test
    void outputRawIntoAMissingFolderIsAUserError() {
        assertUserError(CliRunner.run("run", "--model", TestModels.CLASSES, "--output-raw",
                dir.resolve("no/such/dir/out.bin").toString()), "cannot write --output-raw");
    }

    @Test
    void usageErrorsExitWithTwo() {
        CliRunner bare = CliRunner.run("run", "--model", TestModels.CLASSES, "--frobnicate");
        assertThat(bare.exitCode()).isEqualTo(2);
        assertThat(bare.err()).contains("--frobnicate");
        CliRunner launcher = CliRunner.runAsLauncher("run", "--model", TestModels.CLASSES, "--frobnicate");
        assertThat(launcher.exitCode()).isEqualTo(2);
        assertThat(launcher.err()).startsWith("coedge: error: Unknown option: '--frobnicate'")
                .contains("Try 'coedge run --help'");
        assertThat(CliRunner.runAsLauncher("run").err()).contains("Missing required option: '--model=MODEL'");
        assertThat(CliRunner.runAsLauncher("run", "--model", "x", "--repeat", "many").exitCode()).isEqualTo(2);
        assertThat(CliRunner.runAsLauncher("launch").exitCode()).isEqualTo(2);
    }

    @Test
    void unexpectedFailureExitsWithOneAndHidesTheStackTraceUnlessVerbose() {
        ModelSource.EXTRA.put("buggy", () -> {
            throw new IllegalStateException("invariant broken");
        });
        CliRunner quiet = CliRunner.run("run", "--model", "buggy");
        assertThat(quiet.exitCode()).isEqualTo(1);
        assertThat(quiet.err()).startsWith("coedge: error: unexpected IllegalStateException: invariant broken")
                .contains("--verbose");
        assertNoStackTrace(quiet);

        CliRunner verbose = CliRunner.run("run", "--model", "buggy", "--verbose");
        assertThat(verbose.exitCode()).isEqualTo(1);
        assertThat(verbose.err()).contains("java.lang.IllegalStateException: invariant broken").contains("\tat ");
    }

    @Test
    void verboseShowsTheStackTraceOfAUserErrorToo() {
        CliRunner r = CliRunner.run("run", "--model", "resnet19", "-v");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("coedge: error: unknown model").contains("\tat ");
    }
}
