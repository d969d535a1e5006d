package io.coedge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.onnx.OnnxImporter;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI on real model sources: the committed ONNX fixture and the zoo. */
class ModelFilesTest {
    /** A small network exported from PyTorch, committed in core's test resources. */
    static final Path SMALLNET = Path.of("..", "coedge-core", "src", "test", "resources", "onnx", "smallnet.onnx");

    @TempDir
    Path dir;

    @Test
    void onnxFileRunsFromRawInputToRawOutputLikeTheExecutor() throws Exception {
        assertThat(SMALLNET).as("fixture committed with the ONNX importer").isRegularFile();
        float[] x = TestModels.random(3 * 32 * 32, 5);
        Path in = Files.write(dir.resolve("in.bin"), RunCommandTest.floats(x));
        Path out = dir.resolve("out.bin");
        CliRunner r = CliRunner.run("run", "--model", SMALLNET.toString(), "--input-raw", in.toString(),
                "--output-raw", out.toString(), "--kernels", "reference");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("smallnet.onnx").contains("1x10 class scores");
        Graph g = OnnxImporter.load(SMALLNET, null);
        try (Arena arena = Arena.ofConfined()) {
            float[] expect = Executor.reference(g).run(arena, Tensor.fromLogical(arena, x, 1, 3, 32, 32)).toLogicalArray();
            assertThat(RunCommandTest.floats(Files.readAllBytes(out))).containsExactly(expect);
        }
    }

    @Test
    void rawOutputOfThePyTorchFixtureMatchesPyTorch() throws Exception {
        // smallnet_input.bin / smallnet_output.bin were written by PyTorch beside the exported file.
        Path dirOf = SMALLNET.getParent();
        Path out = dir.resolve("out.bin");
        CliRunner r = CliRunner.run("run", "--model", SMALLNET.toString(), "--input-raw",
                dirOf.resolve("smallnet_input.bin").toString(), "--output-raw", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        float[] expect = RunCommandTest.floats(Files.readAllBytes(dirOf.resolve("smallnet_output.bin")));
        float[] got = RunCommandTest.floats(Files.readAllBytes(out));
        float maxRef = 0;
        for (float v : expect) {
            maxRef = Math.max(maxRef, Math.abs(v));
        }
        assertThat(got).hasSameSizeAs(expect);
        for (int i = 0; i < expect.length; i++) {
            assertThat(got[i]).as("output %d", i).isCloseTo(expect[i], org.assertj.core.api.Assertions.within(1e-4f * maxRef));
        }
        assertThat(OutputReport.topK(got, 5)).containsExactly(OutputReport.topK(expect, 5));
    }

    @Test
    void onnxFileWithAFreeBatchTakesTheGivenInputShape() {
        CliRunner r = CliRunner.run("run", "--model", SMALLNET.toString(), "--input-shape", "2x3x32x32");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("-> 2x3x32x32").contains("2x10 class scores").contains("batch item 1");
    }

    /** An ONNX model x[N?, 3, H?, W?] -> Relu -> y, with free batch, height and width. */
    static Path freeSizeModel(Path dir) throws Exception {
        var dim = io.coedge.onnx.proto.Onnx.TensorShapeProto.Dimension.newBuilder();
        var shape = io.coedge.onnx.proto.Onnx.TensorShapeProto.newBuilder()
                .addDim(dim.clear().setDimParam("batch").build())
                .addDim(dim.clear().setDimValue(3).build())
                .addDim(dim.clear().setDimParam("height").build())
                .addDim(dim.clear().setDimParam("width").build());
        var type = io.coedge.onnx.proto.Onnx.TypeProto.newBuilder().setTensorType(
                io.coedge.onnx.proto.Onnx.TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape));
        var graph = io.coedge.onnx.proto.Onnx.GraphProto.newBuilder().setName("free")
                .addInput(io.coedge.onnx.proto.Onnx.ValueInfoProto.newBuilder().setName("x").setType(type))
                .addOutput(io.coedge.onnx.proto.Onnx.ValueInfoProto.newBuilder().setName("y").setType(type))
                .addNode(io.coedge.onnx.proto.Onnx.NodeProto.newBuilder().setName("relu").setOpType("Relu")
                        .addInput("x").addOutput("y"));
        var model = io.coedge.onnx.proto.Onnx.ModelProto.newBuilder().setIrVersion(8).setGraph(graph)
                .addOpsetImport(io.coedge.onnx.proto.Onnx.OperatorSetIdProto.newBuilder().setVersion(13));
        return Files.write(dir.resolve("free.onnx"), model.build().toByteArray());
    }

    @Test
    void freeHeightAndWidthAreTakenFromTheImageWhichIsOnlyNormalised() throws Exception {
        Path onnx = freeSizeModel(dir);
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(40, 30,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        img.setRGB(5, 7, 0xffffff);
        Path png = dir.resolve("small.png");
        javax.imageio.ImageIO.write(img, "png", png.toFile());
        Path out = dir.resolve("out.bin");
        CliRunner r = CliRunner.run("run", "--model", onnx.toString(), "--input", png.toString(), "--output-raw",
                out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("-> 1x3x30x40").contains("no resize").contains("output y: 1x3x30x40 map");
        float[] y = RunCommandTest.floats(Files.readAllBytes(out));
        assertThat(y).hasSize(3 * 30 * 40);
        for (int c = 0; c < 3; c++) {
            // Relu of the normalised pixel: black is negative (0), the one white pixel is (1 - mean) / std.
            float white = (1 - ImagePreprocessor.MEAN[c]) / ImagePreprocessor.STD[c];
            assertThat(y[(c * 30 + 7) * 40 + 5]).isCloseTo(white, org.assertj.core.api.Assertions.within(1e-5f));
            assertThat(y[(c * 30) * 40]).isZero();
        }
        // With the shape given, the image gets the usual resize and crop.
        CliRunner given = CliRunner.run("run", "--model", onnx.toString(), "--input", png.toString(),
                "--input-shape", "1x3x16x16");
        assertThat(given.exitCode()).as(given.err()).isZero();
        assertThat(given.out()).contains("ImageNet preprocessing) -> 1x3x16x16");
        // Raw input cannot tell the size: the importer asks for it.
        Path raw = Files.write(dir.resolve("in.bin"), new byte[4 * 3 * 4 * 4]);
        RunCommandTest.assertUserError(CliRunner.run("run", "--model", onnx.toString(), "--input-raw", raw.toString()),
                "dynamic dimensions", "--input-shape");
    }

    @Test
    void freeHeightAndWidthFromTheImageAreRefusedWithWorkersBeforeAnyStarts() throws Exception {
        Path onnx = freeSizeModel(dir);
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(40, 30,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        Path png = dir.resolve("small.png");
        javax.imageio.ImageIO.write(img, "png", png.toFile());
        List<ProcessHandle> before = ProcessHandle.current().children().toList();
        CliRunner r = CliRunner.runAsLauncher("run", "--model", onnx.toString(), "--input", png.toString(),
                "--local-workers", "1", "--partition", "equal");
        RunCommandTest.assertUserError(r, "free input height and width", "export the model with a fixed input shape");
        assertThat(ProcessHandle.current().children().filter(p -> !before.contains(p)).toList())
                .as("no worker was started").isEmpty();
    }

    @Test
    void inputShapeThatContradictsTheFileIsAUserError() {
        CliRunner r = CliRunner.run("run", "--model", SMALLNET.toString(), "--input-shape", "1x3x64x64");
        RunCommandTest.assertUserError(r, "1x3x64x64");
    }

    @Test
    void corruptOrTruncatedOnnxFileIsAUserError() throws Exception {
        byte[] bytes = Files.readAllBytes(SMALLNET);
        Path cut = Files.write(dir.resolve("cut.onnx"), Arrays.copyOf(bytes, bytes.length / 2));
        RunCommandTest.assertUserError(CliRunner.run("run", "--model", cut.toString()), "cut.onnx", "not a valid ONNX model");
        Path text = Files.writeString(dir.resolve("notes.onnx"), "hello");
        RunCommandTest.assertUserError(CliRunner.run("inspect", text.toString()), "notes.onnx");
    }

    @Test
    void inspectOfAZooModelListsItsLayers() {
        CliRunner r = CliRunner.run("inspect", "resnet18");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("model resnet18 (model zoo").contains("layer1.0.conv1")
                .contains("input  input: 1x3x224x224").contains("output output: 1x1000");
    }

    @Test
    void zooModelNamesAreCaseInsensitiveAndRefuseOtherInputShapes() {
        RunCommandTest.assertUserError(CliRunner.run("run", "--model", "ResNet18", "--input-shape", "1x3x112x112"),
                "takes input 1x3x224x224");
    }

    @Test
    void localDemoRunsVgg16OnTheSampleImage() {
        CliRunner r = CliRunner.run("demo", "--local", "--repeat", "1", "--warmup", "0");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("CoEdge demo: vgg16").contains("1x1000 class scores").contains("latency: ");
    }
}
