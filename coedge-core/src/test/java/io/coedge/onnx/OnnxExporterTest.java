package io.coedge.onnx;

import static org.assertj.core.api.Assertions.assertThat;


import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.passes.FoldBatchNorm;
import io.coedge.ops.BatchNorm;
import io.coedge.ops.Binary;
import io.coedge.ops.Clip;
import io.coedge.ops.Concat;
import io.coedge.ops.Conv;
import io.coedge.ops.Flatten;
import io.coedge.ops.Gemm;
import io.coedge.ops.GlobalPool;
import io.coedge.ops.Lrn;
import io.coedge.ops.Pool;
import io.coedge.ops.Resize;
import io.coedge.ops.Softmax;
import io.coedge.ops.Unary;
import io.coedge.tensor.Tensor;
import io.coedge.zoo.ModelZoo;
import java.lang.foreign.Arena;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class OnnxExporterTest {
    @TempDir
    Path dir;

    private static float[] random(Random r, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian() * scale;
        }
        return v;
    }

    /** A graph using every operator the exporter writes, in the combinations CNNs use them. */
    static Graph everyOperator() {
        Random r = new Random(7);
        GraphBuilder b = new GraphBuilder("export_test");
        String x = b.input("input", 1, 3, 16, 16);
        b.constant("w1", random(r, 8 * 3 * 3 * 3, 0.3f), 8, 3, 3, 3);
        b.constant("b1", random(r, 8, 0.1f), 8);
        String c1 = b.node("conv1", Conv.of(3, 1, 1, 1), x, "w1", "b1");
        b.constant("bn_scale", random(r, 8, 0.2f), 8);
        b.constant("bn_bias", random(r, 8, 0.1f), 8);
        b.constant("bn_mean", random(r, 8, 0.1f), 8);
        float[] var = random(r, 8, 0.2f);
        for (int i = 0; i < var.length; i++) {
            var[i] = Math.abs(var[i]) + 0.5f;
        }
        b.constant("bn_var", var, 8);
        String bn = b.node("bn1", new BatchNorm(1e-5f), c1, "bn_scale", "bn_bias", "bn_mean", "bn_var");
        String relu = b.node("relu1", Unary.relu(), bn);
        String lrn = b.node("lrn1", new Lrn(5, 1e-4f, 0.75f, 2f), relu);
        String pool = b.node("pool1", Pool.max(3, 2, 1, true), lrn);
        b.constant("wa", random(r, 4 * 8, 0.3f), 4, 8, 1, 1);
        String ba = b.node("branch_a", Conv.of(1, 1, 0, 1), pool, "wa");
        b.constant("wb", random(r, 4 * 2 * 3 * 3, 0.3f), 4, 2, 3, 3);
        String bb = b.node("branch_b", Conv.of(3, 1, 1, 4), pool, "wb");
        String cat = b.node("cat", new Concat(1), ba, bb);
        String add = b.node("residual", new Binary("Add"), cat, pool);
        String gap = b.node("se_pool", GlobalPool.average(), add);
        String gate = b.node("se_gate", new Unary("Sigmoid", 0, 0), gap);
        String se = b.node("se_mul", new Binary("Mul"), add, gate);
        String hs = b.node("hswish", new Unary("HardSwish", 0, 0), se);
        String hsig = b.node("hsig", new Unary("HardSigmoid", 0.2f, 0.5f), hs);
        String clip = b.node("relu6", Clip.relu6(), hsig);
        String up = b.node("up", Resize.nearest(2f), clip);
        String avg = b.node("avg", Pool.average(2, 2, 0, false, false), up);
        String sub = b.node("sub", new Binary("Sub"), avg, gap);
        String flat = b.node("flat", new Flatten(1), sub);
        b.constant("fc_w", random(r, 10 * 8 * 9 * 9, 0.05f), 10, 8 * 9 * 9);
        b.constant("fc_b", random(r, 10, 0.1f), 10);
        String fc = b.node("fc", Gemm.linear(), flat, "fc_w", "fc_b");
        String sm = b.node("softmax", Softmax.lastAxis(), fc);
        b.output(sm);
        return b.build();
    }

    private static float[] run(Graph g, float[] x) {
        try (Arena arena = Arena.ofConfined()) {
            return Executor.reference(g).run(arena, Tensor.fromLogical(arena, x, g.inputs().get(0).shape()))
                    .toLogicalArray();
        }
    }

    @Test
    void exportedGraphImportsBackToTheSameComputation() throws Exception {
        Graph g = everyOperator();
        Path file = dir.resolve("g.onnx");
        OnnxExporter.write(g, file);
        Graph back = OnnxImporter.load(file, null);
        assertThat(back.nodes()).extracting(n -> n.op().type())
                .containsExactlyElementsOf(FoldBatchNorm.apply(g).nodes().stream().map(n -> n.op().type()).toList());
        float[] x = random(new Random(1), 3 * 16 * 16, 1f);
        assertThat(run(back, x)).containsExactly(run(g, x), org.assertj.core.data.Offset.offset(1e-6f));
    }

    static Stream<String> zooModels() {
        // VGG-16 (550 MB) and AlexNet (240 MB) are left to a manual run: -Dcoedge.export.zoo=alexnet,vgg16
        return Arrays.stream(System.getProperty("coedge.export.zoo", "resnet18,googlenet").split(","));
    }

    /** Zoo models written to ONNX: ONNX Runtime and our importer both give the zoo graph's output. */
    @ParameterizedTest
    @MethodSource("zooModels")
    void zooModelExportRunsInOnnxRuntimeAndImportsBack(String name) throws Exception {
        Graph g = ModelZoo.build(name);
        Path file = dir.resolve(name + ".onnx");
        OnnxExporter.write(g, file);
        float[] x = random(new Random(3), 3 * 224 * 224, 1f);
        float[] ours = run(g, x);
        float[] reimported = run(OnnxImporter.load(file, null), x);
        float[] ort = onnxRuntime(file, x, new long[] {1, 3, 224, 224});
        assertClose(name + " re-imported", reimported, ours, 1e-6);
        assertClose(name + " ONNX Runtime", ort, ours, 1e-4);
        assertThat(ExportedModelCheck.top5(ort)).containsExactly(ExportedModelCheck.top5(ours));
    }

    private static void assertClose(String what, float[] actual, float[] ref, double relative) {
        assertThat(actual).as(what).hasSameSizeAs(ref);
        double maxRef = 0;
        double maxDiff = 0;
        for (int i = 0; i < ref.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - ref[i]));
        }
        System.out.printf("%s: max|diff| %.3g, max|ref| %.3g%n", what, maxDiff, maxRef);
        assertThat(maxDiff).as(what + " max|diff|").isLessThanOrEqualTo(relative * maxRef);
    }

    private static float[] onnxRuntime(Path file, float[] x, long[] shape) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(2);
            try (OrtSession s = env.createSession(file.toString(), opts);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                 OrtSession.Result res = s.run(Map.of(s.getInputNames().iterator().next(), in))) {
                FloatBuffer fb = ((OnnxTensor) res.get(0)).getFloatBuffer();
                float[] out = new float[fb.remaining()];
                fb.get(out);
                return out;
            }
        }
    }

    @Test
    void onnxRuntimeLoadsTheExportAndAgrees() throws Exception {
        Graph g = everyOperator();
        Path file = dir.resolve("g.onnx");
        OnnxExporter.write(g, file);
        float[] x = random(new Random(2), 3 * 16 * 16, 1f);
        float[] ours = run(g, x);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(file.toString(), new OrtSession.SessionOptions());
             OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, 3, 16, 16});
             OrtSession.Result res = s.run(Map.of("input", in))) {
            FloatBuffer fb = ((OnnxTensor) res.get(0)).getFloatBuffer();
            float[] theirs = new float[fb.remaining()];
            fb.get(theirs);
            assertThat(theirs).hasSameSizeAs(ours);
            double maxRef = 0;
            double maxDiff = 0;
            for (int i = 0; i < ours.length; i++) {
                maxRef = Math.max(maxRef, Math.abs(theirs[i]));
                maxDiff = Math.max(maxDiff, Math.abs(theirs[i] - ours[i]));
            }
            assertThat(maxDiff).isLessThanOrEqualTo(1e-5 * maxRef);
        }
    }
}
