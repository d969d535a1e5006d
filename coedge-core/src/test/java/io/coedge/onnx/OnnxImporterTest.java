package io.coedge.onnx;

import static io.coedge.onnx.OnnxModels.convRelu;
import static io.coedge.onnx.OnnxModels.intAttr;
import static io.coedge.onnx.OnnxModels.int64s;
import static io.coedge.onnx.OnnxModels.node;
import static io.coedge.onnx.OnnxModels.ramp;
import static io.coedge.onnx.OnnxModels.tensorAttr;
import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.Node;
import io.coedge.onnx.proto.Onnx.GraphProto;
import io.coedge.onnx.proto.Onnx.ModelProto;
import io.coedge.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxImporterTest {
    @TempDir
    Path dir;

    private Path write(ModelProto m) throws IOException {
        Path p = dir.resolve("m.onnx");
        Files.write(p, m.toByteArray());
        return p;
    }

    /** Direct evaluation of {@link OnnxModels#convRelu}: 3x3 conv, pad 1, bias, relu. */
    static float[] convReluExpected(float[] x, int batch) {
        float[] w = ramp(3 * 2 * 3 * 3, 0.1f);
        float[] b = {0.5f, -0.25f, 0.125f};
        float[] y = new float[batch * 3 * 5 * 5];
        for (int n = 0; n < batch; n++) {
            for (int m = 0; m < 3; m++) {
                for (int i = 0; i < 5; i++) {
                    for (int j = 0; j < 5; j++) {
                        double s = b[m];
                        for (int c = 0; c < 2; c++) {
                            for (int ki = 0; ki < 3; ki++) {
                                for (int kj = 0; kj < 3; kj++) {
                                    int yy = i + ki - 1;
                                    int xx = j + kj - 1;
                                    if (yy >= 0 && yy < 5 && xx >= 0 && xx < 5) {
                                        s += w[((m * 2 + c) * 3 + ki) * 3 + kj] * x[((n * 2 + c) * 5 + yy) * 5 + xx];
                                    }
                                }
                            }
                        }
                        y[((n * 3 + m) * 5 + i) * 5 + j] = (float) Math.max(0, s);
                    }
                }
            }
        }
        return y;
    }

    private static float[] run(Graph g, float[] x) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Tensor.fromLogical(arena, x, g.inputs().get(0).shape());
            return Executor.reference(g).run(arena, in).toLogicalArray();
        }
    }

    @Test
    void rawDataAndFloatDataInitializersLoadAndRun() throws IOException {
        Graph g = OnnxImporter.load(write(convRelu(13, 1)), null);
        assertThat(g.nodes()).extracting(n -> n.op().type()).containsExactly("Conv", "Relu");
        assertThat(g.shape("Y")).containsExactly(1, 3, 5, 5);
        float[] x = ramp(2 * 5 * 5, 0.3f);
        assertThat(run(g, x)).containsExactly(convReluExpected(x, 1), org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void dynamicBatchIsSpecialisedToTheGivenShapeOrToOne() throws IOException {
        Path p = write(convRelu(13, -1));
        assertThat(OnnxImporter.load(p, null).inputs().get(0).shape()).containsExactly(1, 2, 5, 5);
        Graph g = OnnxImporter.load(p, new int[] {2, 2, 5, 5});
        assertThat(g.shape("Y")).containsExactly(2, 3, 5, 5);
        float[] x = ramp(2 * 2 * 5 * 5, 0.2f);
        assertThat(run(g, x)).containsExactly(convReluExpected(x, 2), org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void everyAcceptedOpsetLoads() throws IOException {
        for (int opset = OnnxImporter.MIN_OPSET; opset <= OnnxImporter.MAX_OPSET; opset++) {
            assertThat(OnnxImporter.load(write(convRelu(opset, 1)), null).nodes()).hasSize(2);
        }
    }

    /**
     * The weight reaches Conv through a shape chain as exporters write them: Shape of the input, Gather of
     * the channel count, Unsqueeze, Concat with constants, Reshape of a flat initializer. All of it folds.
     */
    @Test
    void shapeComputationChainsFoldAwayBeforeTheGraph() throws IOException {
        ModelProto base = convRelu(13, 1);
        GraphProto.Builder g = base.getGraph().toBuilder();
        g.setInitializer(0, OnnxModels.rawFloats("W_flat", ramp(3 * 2 * 3 * 3, 0.1f), 54));
        // raw_data and int64_data both occur in real files; read from a file, raw_data is a view of the
        // mapped bytes at some offset, which once broke absolute reads.
        g.addInitializer(OnnxModels.rawInt64s("three", new long[] {3}, 1));
        g.addInitializer(int64s("axis0", new long[] {0}, 1));
        g.clearNode();
        g.addNode(node("shape", "Shape", new String[] {"X"}, new String[] {"xs"}));
        g.addNode(node("ch", "Constant", new String[0], new String[] {"one"}, tensorAttr("value",
                OnnxModels.rawInt64s("", new long[] {1}))));
        g.addNode(node("gather", "Gather", new String[] {"xs", "one"}, new String[] {"c"}, intAttr("axis", 0)));
        g.addNode(node("unsq", "Unsqueeze", new String[] {"c", "axis0"}, new String[] {"c1"}));
        g.addNode(node("cast", "Cast", new String[] {"c1"}, new String[] {"c1f"}, intAttr("to", 1)));
        g.addNode(node("castback", "Cast", new String[] {"c1f"}, new String[] {"c1i"}, intAttr("to", 7)));
        g.addNode(node("cat", "Concat", new String[] {"three", "c1i", "three", "three"}, new String[] {"wshape"},
                intAttr("axis", 0)));
        g.addNode(node("reshape", "Reshape", new String[] {"W_flat", "wshape"}, new String[] {"W"}));
        g.addNode(node("conv", "Conv", new String[] {"X", "W", "B"}, new String[] {"C"},
                OnnxModels.ints("kernel_shape", 3, 3), OnnxModels.ints("pads", 1, 1, 1, 1)));
        g.addNode(node("relu", "Relu", new String[] {"C"}, new String[] {"Y"}));
        Graph graph = OnnxImporter.load(write(base.toBuilder().setGraph(g).build()), null);
        assertThat(graph.nodes()).extracting(Node::name).containsExactly("conv", "relu");
        assertThat(graph.constant("W").shape()).containsExactly(3, 2, 3, 3);
        float[] x = ramp(2 * 5 * 5, 0.3f);
        assertThat(run(graph, x)).containsExactly(convReluExpected(x, 1), org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void initializersListedAsInputsAreConstants() throws IOException {
        ModelProto base = convRelu(13, 1);
        GraphProto g = base.getGraph().toBuilder()
                .addInput(OnnxModels.floatValue("W", 3, 2, 3, 3)).addInput(OnnxModels.floatValue("B", 3)).build();
        Graph graph = OnnxImporter.load(write(base.toBuilder().setGraph(g).build()), null);
        assertThat(graph.inputs()).extracting(Graph.Input::name).containsExactly("X");
    }
}
